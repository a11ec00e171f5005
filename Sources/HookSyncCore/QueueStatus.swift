public import Foundation

/// The document behind `hooksync status --json` and the admin listener's `GET /admin/status`.
///
/// Its JSON keys are a stable contract, documented in `docs/status.md`: add keys, never rename them.
public struct QueueStatus: Sendable, Hashable, Encodable {
    public var generatedAt: Date
    /// The last migration applied to the database.
    public var schemaVersion: String
    /// Deliveries that reached the queue: `accepted + duplicates`.
    public var received: Int
    public var accepted: Int
    public var duplicates: Int
    public var work: WorkCounts
    public var quarantined: Int
    /// Age of the oldest event still waiting for a worker (queued or pending), in seconds; `nil` when none is.
    public var oldestPendingAgeSeconds: Double?
    public var sources: [SourceStatus]
    public var reconcile: ReconcileActivity

    public init(
        generatedAt: Date, schemaVersion: String, accepted: Int, duplicates: Int, work: WorkCounts,
        quarantined: Int, oldestPendingAgeSeconds: Double?, sources: [SourceStatus], reconcile: ReconcileActivity = ReconcileActivity()
    ) {
        self.generatedAt = generatedAt
        self.schemaVersion = schemaVersion
        self.received = accepted + duplicates
        self.accepted = accepted
        self.duplicates = duplicates
        self.work = work
        self.quarantined = quarantined
        self.oldestPendingAgeSeconds = oldestPendingAgeSeconds
        self.sources = sources
        self.reconcile = reconcile
    }

    enum CodingKeys: String, CodingKey {
        case generatedAt = "generated_at"
        case schemaVersion = "schema_version"
        case received, accepted, duplicates, work, quarantined
        case oldestPendingAgeSeconds = "oldest_pending_age_seconds"
        case sources, reconcile
    }

    // Written out so that absent values appear as `null`: a documented document keeps every key.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(generatedAt, forKey: .generatedAt)
        try container.encode(schemaVersion, forKey: .schemaVersion)
        try container.encode(received, forKey: .received)
        try container.encode(accepted, forKey: .accepted)
        try container.encode(duplicates, forKey: .duplicates)
        try container.encode(work, forKey: .work)
        try container.encode(quarantined, forKey: .quarantined)
        try container.encode(oldestPendingAgeSeconds, forKey: .oldestPendingAgeSeconds)
        try container.encode(sources, forKey: .sources)
        try container.encode(reconcile, forKey: .reconcile)
    }
}

/// Work by state. `done` counts items still within the retention window.
public struct WorkCounts: Sendable, Hashable, Codable {
    /// Accepted events not yet grouped into work items (the next claim does it).
    public var queued: Int
    public var pending: Int
    public var inFlight: Int
    public var done: Int
    public var dead: Int
    public var merged: Int

    public init(queued: Int = 0, pending: Int = 0, inFlight: Int = 0, done: Int = 0, dead: Int = 0, merged: Int = 0) {
        self.queued = queued
        self.pending = pending
        self.inFlight = inFlight
        self.done = done
        self.dead = dead
        self.merged = merged
    }

    enum CodingKeys: String, CodingKey {
        case queued, pending
        case inFlight = "in_flight"
        case done, dead, merged
    }
}

/// Per-source counters. Counters (`received`, `accepted`, `duplicates`) are cumulative since the
/// database was created; work counts are current.
public struct SourceStatus: Sendable, Hashable, Codable {
    public var name: String
    public var received: Int
    public var accepted: Int
    public var duplicates: Int
    public var lastDeliveryAt: Date?
    public var work: WorkCounts
    /// The source's circuit as a worker last recorded it; `closed` when no worker has said otherwise.
    public var circuit: CircuitState
    /// Why the circuit is open; `nil` when closed.
    public var circuitReason: String?
    /// When an open circuit lets its next probe through.
    public var circuitRetryAt: Date?
    /// The earliest time a pending item that has failed before will be tried again.
    public var nextRetryAt: Date?
    /// The provider budget every process shares: each window's use, requests in flight, a pause;
    /// `nil` until a process has asked it for a request.
    public var budget: SourceBudgetStatus?

    public init(
        name: String, accepted: Int, duplicates: Int, lastDeliveryAt: Date?, work: WorkCounts,
        health: SourceHealth? = nil, nextRetryAt: Date? = nil, budget: SourceBudgetStatus? = nil
    ) {
        self.name = name
        self.received = accepted + duplicates
        self.accepted = accepted
        self.duplicates = duplicates
        self.lastDeliveryAt = lastDeliveryAt
        self.work = work
        self.circuit = health?.circuit ?? .closed
        self.circuitReason = health?.reason
        self.circuitRetryAt = health?.retryAt
        self.nextRetryAt = nextRetryAt
        self.budget = budget
    }

    enum CodingKeys: String, CodingKey {
        case name, received, accepted, duplicates
        case lastDeliveryAt = "last_delivery_at"
        case work, circuit
        case circuitReason = "circuit_reason"
        case circuitRetryAt = "circuit_retry_at"
        case nextRetryAt = "next_retry_at"
        case budget
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(received, forKey: .received)
        try container.encode(accepted, forKey: .accepted)
        try container.encode(duplicates, forKey: .duplicates)
        try container.encode(lastDeliveryAt, forKey: .lastDeliveryAt)
        try container.encode(work, forKey: .work)
        try container.encode(circuit, forKey: .circuit)
        try container.encode(circuitReason, forKey: .circuitReason)
        try container.encode(circuitRetryAt, forKey: .circuitRetryAt)
        try container.encode(nextRetryAt, forKey: .nextRetryAt)
        try container.encode(budget, forKey: .budget)
    }
}
