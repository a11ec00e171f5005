public import Foundation

/// Where synced entities go: the local mirror, a downstream HTTP endpoint, or a command.
///
/// A write must be durable (or accepted downstream) when it returns: the worker marks the work item
/// done right after. Writes are idempotent, and the mirror never lets an older copy of an entity
/// (by the provider's modification time, then by when the copy was observed) replace a newer one.
///
/// ```swift
/// try await sink.write([SyncRecord(key: key, change: .live(json: data, remoteModifiedAt: modified), syncedAt: now)])
/// ```
public protocol Sink: Sendable {
    func write(_ records: [SyncRecord]) async throws
}

/// One entity's state to hand to the sink.
public struct SyncRecord: Sendable, Hashable {
    public var key: EntityKey
    public var change: Change
    /// What the webhooks said happened, when the record comes from a work item.
    public var actions: ActionHistory?
    public var syncedAt: Date
    /// When the copy was observed: the fetch response or listing page that carried it was received
    /// (for `.deleted`, when the entity was seen gone). Of two copies with the same modification
    /// time, the one observed later is the newer: providers stamp whole seconds or milliseconds, so
    /// several changes can share one time.
    public var observedAt: Date

    public enum Change: Sendable, Hashable {
        /// The entity as the provider's API returned it (a JSON object).
        case live(json: Data, remoteModifiedAt: Date?)
        /// The provider says the entity no longer exists (404, or absent from a full listing).
        case deleted
    }

    /// `observedAt` defaults to `syncedAt`, for a record written as soon as it is observed.
    public init(key: EntityKey, change: Change, actions: ActionHistory? = nil, observedAt: Date? = nil, syncedAt: Date) {
        self.key = key
        self.change = change
        self.actions = actions
        self.syncedAt = syncedAt
        self.observedAt = observedAt ?? syncedAt
    }

    public var isDeleted: Bool {
        if case .deleted = change { true } else { false }
    }
}

/// What the worker last concluded about a source's API, kept in the queue so that `hooksync status`
/// (another process) can show it.
public struct SourceHealth: Sendable, Hashable, Codable {
    public var source: String
    public var circuit: CircuitState
    /// Why the circuit opened (the last error), `nil` when closed.
    public var reason: String?
    public var changedAt: Date
    /// When an open circuit lets a probe through.
    public var retryAt: Date?

    public init(source: String, circuit: CircuitState, reason: String?, changedAt: Date, retryAt: Date?) {
        self.source = source
        self.circuit = circuit
        self.reason = reason
        self.changedAt = changedAt
        self.retryAt = retryAt
    }

    enum CodingKeys: String, CodingKey {
        case source, circuit, reason
        case changedAt = "changed_at"
        case retryAt = "retry_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(source, forKey: .source)
        try container.encode(circuit, forKey: .circuit)
        try container.encode(reason, forKey: .reason)
        try container.encode(changedAt, forKey: .changedAt)
        try container.encode(retryAt, forKey: .retryAt)
    }
}

/// A source's circuit breaker: `open` pauses every fetch from the source until a probe succeeds.
public enum CircuitState: String, Sendable, Hashable, Codable, CaseIterable {
    case closed
    case open
    /// One probe fetch is deciding whether to close again.
    case halfOpen = "half_open"
}
