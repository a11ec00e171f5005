public import Foundation

/// One provider notification, parsed into the form every part of HookSync agrees on.
///
/// Ingest builds envelopes from each provider's wire format (reconciliation does not: it writes what
/// it lists to the sink directly). The queue stores each accepted envelope in the event log, and a
/// later claim folds it into its entity's work item.
///
/// ```swift
/// let envelope = EventEnvelope(
///     key: EntityKey(source: "economic", type: "customer", id: "33"),
///     action: .renumber, deliveryID: nil, receivedAt: Date(),
///     extras: ["old_number": "32"])
/// ```
public struct EventEnvelope: Sendable, Hashable {
    public var key: EntityKey
    public var action: EventAction
    /// The provider's own id of this delivery, stable across its retries (Kladana `requestId`,
    /// SoftLedger `uuid`, Standard Webhooks `webhook-id`). Exact duplicates are dropped on it.
    public var deliveryID: String?
    public var receivedAt: Date
    /// When the provider says the change happened, if it says.
    public var occurredAt: Date?
    /// Provider facts that do not fit the fields above, e.g. `old_number` of an e-conomic renumber.
    public var extras: [String: String]
    /// The request as it arrived, so a delivery can be inspected and replayed.
    public var raw: RawRequest?

    public init(
        key: EntityKey,
        action: EventAction,
        deliveryID: String? = nil,
        receivedAt: Date,
        occurredAt: Date? = nil,
        extras: [String: String] = [:],
        raw: RawRequest? = nil
    ) {
        self.key = key
        self.action = action
        self.deliveryID = deliveryID
        self.receivedAt = receivedAt
        self.occurredAt = occurredAt
        self.extras = extras
        self.raw = raw
    }
}

/// The parts of an HTTP request worth keeping: the body bytes and the headers and query that
/// authenticated or described it (secrets removed by ingest before it builds this).
public struct RawRequest: Sendable, Hashable, Codable {
    public var method: String
    public var path: String
    public var query: String
    public var headers: [String: String]
    public var body: Data

    public init(method: String, path: String, query: String = "", headers: [String: String] = [:], body: Data = Data()) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}
