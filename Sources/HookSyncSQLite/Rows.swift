import Foundation
import GRDB
import HookSyncCore

// Mapping between the queue's tables and the Core value types. Kept by hand rather than through
// Codable records: the column names are SQL's, the types are the domain's, and the mapping is short.

/// An envelope flattened into `event_log` columns, encoded before the write transaction begins.
struct EventRow {
    var source: String
    var entityType: String
    var entityID: String
    var action: String
    var deliveryID: String?
    var receivedAt: Int64
    var occurredAt: Int64?
    var extras: String?
    var rawRequest: String?

    init(_ envelope: EventEnvelope) {
        source = envelope.key.source
        entityType = envelope.key.type
        entityID = envelope.key.id
        action = envelope.action.rawValue
        deliveryID = envelope.deliveryID
        receivedAt = envelope.receivedAt.millisecondsSince1970
        occurredAt = envelope.occurredAt?.millisecondsSince1970
        extras = envelope.extras.isEmpty ? nil : JSONText.encode(envelope.extras)
        rawRequest = envelope.raw.map(JSONText.encode)
    }

    var arguments: StatementArguments {
        [source, entityType, entityID, action, deliveryID, receivedAt, occurredAt, extras, rawRequest]
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
        let rawText: String? = row["raw_request"]
        let occurredAt: Int64? = row["occurred_at"]
        self.init(id: row["id"], envelope: EventEnvelope(
            key: EntityKey(source: row["source"], type: row["entity_type"], id: row["entity_id"]),
            action: action,
            deliveryID: row["delivery_id"],
            receivedAt: Date(millisecondsSince1970: row["received_at"]),
            occurredAt: occurredAt.map(Date.init(millisecondsSince1970:)),
            extras: try [String: String](jsonText: row["extras"]),
            raw: try rawText.map { try JSONDecoder().decode(RawRequest.self, from: Data($0.utf8)) }))
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
