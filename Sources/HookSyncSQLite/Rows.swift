import Foundation
import GRDB
import HookSyncCore

// Mapping between the queue's tables and the Core value types. Kept by hand rather than through
// Codable records: the column names are SQL's, the types are the domain's, and the mapping is short.

/// Envelopes flattened into `event_log` and `request` columns, encoded before the write
/// transaction begins.
///
/// The envelopes of one HTTP request share its `RawRequest` (a Kladana request carries up to a
/// thousand events), so consecutive envelopes with an equal request store it once, and each event
/// row names it by its position in `requests`.
struct EventBatch {
    var requests: [RequestRow] = []
    var events: [EventRow] = []

    init(_ envelopes: [EventEnvelope]) {
        events.reserveCapacity(envelopes.count)
        var previous: RawRequest?
        for envelope in envelopes {
            if let raw = envelope.raw, raw != previous {
                requests.append(RequestRow(raw, receivedAt: envelope.receivedAt.millisecondsSince1970))
                previous = raw
            }
            events.append(EventRow(envelope, request: envelope.raw == nil ? nil : requests.count - 1))
        }
    }
}

/// A request as `request` columns: its body as a BLOB, never re-encoded.
struct RequestRow {
    var receivedAt: Int64
    var method: String
    var path: String
    var query: String
    var headers: String
    var body: Data

    init(_ raw: RawRequest, receivedAt: Int64) {
        self.receivedAt = receivedAt
        method = raw.method
        path = raw.path
        query = raw.query
        headers = JSONText.encode(raw.headers)
        body = raw.body
    }

    var arguments: StatementArguments { [receivedAt, method, path, query, headers, body] }
}

/// An envelope as `event_log` columns; `request` is its request's position in the batch.
struct EventRow {
    var source: String
    var entityType: String
    var entityID: String
    var action: String
    var deliveryID: String?
    var receivedAt: Int64
    var occurredAt: Int64?
    var extras: String?
    var request: Int?

    init(_ envelope: EventEnvelope, request: Int?) {
        source = envelope.key.source
        entityType = envelope.key.type
        entityID = envelope.key.id
        action = envelope.action.rawValue
        deliveryID = envelope.deliveryID
        receivedAt = envelope.receivedAt.millisecondsSince1970
        occurredAt = envelope.occurredAt?.millisecondsSince1970
        extras = envelope.extras.isEmpty ? nil : JSONText.encode(envelope.extras)
        self.request = request
    }

    func arguments(requestID: Int64?) -> StatementArguments {
        [source, entityType, entityID, action, deliveryID, receivedAt, occurredAt, extras, requestID]
    }
}

extension WorkItem {
    init(row: Row) throws {
        let actionsText: String = row["actions"]
        guard let actions = ActionHistory(storageForm: actionsText),
              let state = WorkState(rawValue: row["state"])
        else { throw SQLiteSchemaError.corrupt("work item \(row["id"] as Int64? ?? -1): \(row)") }
        let leaseToken: Int64? = row["lease_token"]
        let leaseExpiry: Int64? = row["lease_expires_at"]
        let id: Int64 = row["id"]
        self.init(
            id: id,
            key: EntityKey(source: row["source"], type: row["entity_type"], id: row["entity_id"]),
            state: state,
            actions: actions,
            eventCount: row["event_count"],
            attempts: row["attempts"],
            extras: try [String: String](jsonText: row["extras"]),
            firstEventAt: Date(millisecondsSince1970: row["first_event_at"]),
            lastEventAt: Date(millisecondsSince1970: row["last_event_at"]),
            runAt: Date(millisecondsSince1970: row["run_at"]),
            lastError: row["last_error"],
            lease: leaseToken.map { token in
                Lease(itemID: id, token: token, owner: row["lease_owner"] ?? "",
                      expiresAt: Date(millisecondsSince1970: leaseExpiry ?? 0))
            })
    }
}

extension StoredEvent {
    init(row: Row) throws {
        let actionName: String = row["action"]
        guard let action = EventAction(rawValue: actionName) else {
            throw SQLiteSchemaError.corrupt("event \(row["id"] as Int64? ?? -1) has action \(actionName)")
        }
        let occurredAt: Int64? = row["occurred_at"]
        self.init(id: row["id"], envelope: EventEnvelope(
            key: EntityKey(source: row["source"], type: row["entity_type"], id: row["entity_id"]),
            action: action,
            deliveryID: row["delivery_id"],
            receivedAt: Date(millisecondsSince1970: row["received_at"]),
            occurredAt: occurredAt.map(Date.init(millisecondsSince1970:)),
            extras: try [String: String](jsonText: row["extras"]),
            raw: try RawRequest(requestColumnsOf: row)))
    }
}

extension RawRequest {
    /// The request of an event row joined with `request` (`request_method`, … as in
    /// `Statements.eventsOfMergeTree`), or of its legacy `raw_request` JSON from before migration 0004.
    init?(requestColumnsOf row: Row) throws {
        if let method: String = row["request_method"] {
            self.init(
                method: method, path: row["request_path"], query: row["request_query"],
                headers: try [String: String](jsonText: row["request_headers"]), body: row["request_body"])
        } else if let legacy: String = row["raw_request"] {
            self = try JSONDecoder().decode(RawRequest.self, from: Data(legacy.utf8))
        } else {
            return nil
        }
    }
}

extension StoredQuarantinedDelivery {
    init(row: Row) throws {
        let rawText: String = row["raw_request"]
        self.init(id: row["id"], delivery: QuarantinedDelivery(
            source: row["source"], reason: row["reason"],
            receivedAt: Date(millisecondsSince1970: row["received_at"]),
            raw: try JSONDecoder().decode(RawRequest.self, from: Data(rawText.utf8))))
    }
}

extension Date {
    var millisecondsSince1970: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    init(millisecondsSince1970 milliseconds: Int64) {
        self.init(timeIntervalSince1970: TimeInterval(milliseconds) / 1000)
    }
}

extension Optional {
    /// The value, or a `corrupt` error naming what was missing: for values the schema guarantees.
    func orThrow(_ what: String) throws -> Wrapped {
        guard let value = self else { throw SQLiteSchemaError.corrupt("missing \(what)") }
        return value
    }
}

extension Dictionary where Key == String, Value == String {
    /// JSON text, or NULL for an empty dictionary (most events have no extras).
    func jsonTextOrNil() -> String? {
        isEmpty ? nil : JSONText.encode(self)
    }

    init(jsonText: String?) throws {
        // Most events carry no extras: no decoder for those.
        guard let jsonText, jsonText != "{}" else { self = [:]; return }
        self = try JSONDecoder().decode([String: String].self, from: Data(jsonText.utf8))
    }
}
