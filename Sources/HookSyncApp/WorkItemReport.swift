import Foundation
public import HookSyncCore

/// Renders work items (dead letters, traces) for `hooksync dead-letters`.
public enum WorkItemReport {
    /// One line per item: id, entity, attempts, last error.
    public static func table(_ items: [WorkItem]) -> String {
        guard !items.isEmpty else { return "no dead letters" }
        return items.map { item in
            "#\(item.id)  \(item.key)  \(item.actions)  attempts \(item.attempts)  \(item.lastError ?? "")"
        }.joined(separator: "\n")
    }

    public static func detail(_ item: WorkItem, events: [StoredEvent]) -> String {
        var lines = [
            "work item #\(item.id): \(item.key)",
            "state        \(item.state.rawValue)",
            "actions      \(item.actions)  (\(item.eventCount) events)",
            "attempts     \(item.attempts)",
            "last error   \(item.lastError ?? "-")",
            "first event  \(ISO8601DateFormatter().string(from: item.firstEventAt))",
            "last event   \(ISO8601DateFormatter().string(from: item.lastEventAt))",
        ]
        if !item.extras.isEmpty {
            lines.append("extras       " + item.extras.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
        lines.append("deliveries still in the event log: \(events.count)")
        for event in events {
            let envelope = event.envelope
            lines.append("  event #\(event.id)  \(ISO8601DateFormatter().string(from: envelope.receivedAt))  \(envelope.action.rawValue)"
                + (envelope.deliveryID.map { "  delivery \($0)" } ?? "")
                + (envelope.raw.map { "  \($0.method) \($0.path)\($0.query.isEmpty ? "" : "?" + $0.query)  \($0.body.count) bytes" } ?? ""))
        }
        return lines.joined(separator: "\n")
    }

    public static func json(_ items: [WorkItem]) throws -> String {
        try JSONDocument.encode(items.map(WorkItemDocument.init))
    }

    public static func json(_ item: WorkItem, events: [StoredEvent]) throws -> String {
        var document = WorkItemDocument(item)
        document.events = events.map(EventDocument.init)
        return try JSONDocument.encode(document)
    }
}

/// The JSON shape of a work item, snake_case like the rest of HookSync's JSON.
struct WorkItemDocument: Encodable {
    var id: Int64
    var source: String
    var type: String
    var entityID: String
    var state: String
    var actions: [String]
    var eventCount: Int
    var attempts: Int
    var lastError: String?
    var extras: [String: String]
    var firstEventAt: Date
    var lastEventAt: Date
    var runAt: Date
    var events: [EventDocument]?

    init(_ item: WorkItem) {
        id = item.id
        source = item.key.source
        type = item.key.type
        entityID = item.key.id
        state = item.state.rawValue
        actions = item.actions.actions.map(\.rawValue)
        eventCount = item.eventCount
        attempts = item.attempts
        lastError = item.lastError
        extras = item.extras
        firstEventAt = item.firstEventAt
        lastEventAt = item.lastEventAt
        runAt = item.runAt
    }

    enum CodingKeys: String, CodingKey {
        case id, source, type, state, actions, attempts, extras, events
        case entityID = "entity_id"
        case eventCount = "event_count"
        case lastError = "last_error"
        case firstEventAt = "first_event_at"
        case lastEventAt = "last_event_at"
        case runAt = "run_at"
    }
}

struct EventDocument: Encodable {
    var id: Int64
    var action: String
    var deliveryID: String?
    var receivedAt: Date
    var raw: RawRequest?

    init(_ event: StoredEvent) {
        id = event.id
        action = event.envelope.action.rawValue
        deliveryID = event.envelope.deliveryID
        receivedAt = event.envelope.receivedAt
        raw = event.envelope.raw
    }

    enum CodingKeys: String, CodingKey {
        case id, action, raw
        case deliveryID = "delivery_id"
        case receivedAt = "received_at"
    }
}
