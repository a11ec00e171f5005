public import Foundation

/// The queue's hot path: what ingest and workers call. Every storage backend implements it with the
/// same semantics, which `HookSyncSQLiteTests` spell out and any new backend must pass.
///
/// - Enqueue is durable when it returns, and does as little as it can: it appends the events to the
///   event log. Envelopes whose `(source, deliveryID)` was already accepted within the retention
///   window are counted as duplicates and change nothing else.
/// - Each claim first folds newly appended events into work items, so coalescing costs the worker,
///   not the request that must be answered fast.
/// - At most one `pending` item per entity: a new event for an entity with a pending item merges into it.
///   An event for an entity whose item is `inFlight` opens a new pending item, because the running
///   fetch may already have read stale data.
/// - At most one `inFlight` item per entity, across every worker process: a claim skips entities that
///   are already held. An expired lease returns its item to `pending` (it is folded into the entity's
///   pending item if one exists).
/// - Operations on a claimed item present its `Lease`; they do nothing and report `false` when the
///   lease has been lost (expired and rescued, or claimed again).
///
/// ```swift
/// let receipt = try await queue.enqueue(envelopes)
/// for item in try await queue.claim(limit: 32, leaseDuration: .seconds(30), owner: "worker-1") {
///     try await queue.complete([item.lease!])
/// }
/// ```
public protocol WorkQueue: Sendable {
    /// Appends the envelopes to the event log, in one transaction, and counts exact repeats of an
    /// earlier delivery as duplicates. Coalescing into work items waits for the next claim's fold.
    func enqueue(_ envelopes: [EventEnvelope]) async throws -> EnqueueReceipt

    /// Leases up to `limit` pending items whose run-at has come, oldest first, at most one per entity.
    func claim(limit: Int, leaseDuration: Duration, owner: String) async throws -> [WorkItem]

    /// Marks the items done, in one transaction. Returns the leases that were no longer held.
    @discardableResult
    func complete(_ leases: [Lease]) async throws -> [Lease]

    /// Records a failed attempt and returns the item to pending until `retryAt`.
    @discardableResult
    func fail(_ lease: Lease, retryAt: Date, error: String) async throws -> Bool

    /// Returns the item to pending until `runAt` without counting an attempt (a rate limit, a shutdown).
    @discardableResult
    func release(_ lease: Lease, runAt: Date, reason: String?) async throws -> Bool

    /// Gives up on the item: it waits in the dead-letter list for a person.
    @discardableResult
    func deadLetter(_ lease: Lease, reason: String) async throws -> Bool

    /// Pushes the leases' expiry to now + `duration`. Returns the renewed leases; a missing one was lost.
    func extend(_ leases: [Lease], by duration: Duration) async throws -> [Lease]

    /// Records a source's circuit state, for `status` in other processes.
    func recordSourceHealth(_ health: SourceHealth) async throws
}

/// What people and monitoring ask of the queue: counts, dead letters, the trail from a work item back
/// to the deliveries that caused it, and clean-up past the retention window.
public protocol QueueInspector: Sendable {
    func status() async throws -> QueueStatus
    /// Work waiting and the age of its oldest part: what `/metrics` reports, read without the
    /// per-state counts over every retained item that `status()` makes.
    func depth() async throws -> QueueDepth
    func workItem(id: Int64) async throws -> WorkItem?
    /// The accepted events that a work item stands for (including those of items merged into it).
    func events(forWorkItem id: Int64) async throws -> [StoredEvent]
    func deadLetters(source: String?, limit: Int) async throws -> [WorkItem]
    /// Puts a dead item back to pending with its attempts reset. `false` if it is not dead.
    func retryDeadLetter(id: Int64) async throws -> Bool
    /// Retries every dead item (of one source, if given); returns how many.
    func retryAllDeadLetters(source: String?) async throws -> Int
    /// Deletes a dead item for good (its events stay in the log until retention). `false` if it is not dead.
    func dropDeadLetter(id: Int64) async throws -> Bool
    /// Keeps what ingest could not parse, with the reason, so nothing an authenticated sender sent is lost.
    func quarantine(_ delivery: QuarantinedDelivery) async throws -> Int64
    func quarantinedDeliveries(source: String?, limit: Int) async throws -> [StoredQuarantinedDelivery]
    func quarantinedDelivery(id: Int64) async throws -> StoredQuarantinedDelivery?
    /// Deletes a quarantined request (after a replay, or by hand). `false` if there is none with that id.
    func dropQuarantined(id: Int64) async throws -> Bool
    /// Proves the database takes writes now: what `/readyz` reports.
    func checkWritable() async throws
    /// Deletes events and finished (done or merged) work items older than `cutoff`. Duplicates are
    /// detected only against the events still kept, so the cutoff is also the dedup window.
    func prune(before cutoff: Date) async throws -> PruneReport
}

/// A storage backend: SQLite today, PostgreSQL beside it later.
public typealias QueueStore = WorkQueue & QueueInspector & ReconcileStore

/// How much work waits, for monitoring.
public struct QueueDepth: Sendable, Hashable {
    /// Events not folded into work items yet, plus pending items.
    public var waiting: Int
    public var oldestWaitingAgeSeconds: Double?

    public init(waiting: Int, oldestWaitingAgeSeconds: Double?) {
        self.waiting = waiting
        self.oldestWaitingAgeSeconds = oldestWaitingAgeSeconds
    }
}

/// What one `enqueue` call did.
public struct EnqueueReceipt: Sendable, Hashable {
    /// Envelopes appended to the event log.
    public var accepted: Int
    /// Envelopes dropped as exact duplicates of an earlier delivery.
    public var duplicates: Int

    public init(accepted: Int = 0, duplicates: Int = 0) {
        self.accepted = accepted
        self.duplicates = duplicates
    }
}

/// An event as kept in the event log.
public struct StoredEvent: Sendable, Hashable {
    public var id: Int64
    public var envelope: EventEnvelope

    public init(id: Int64, envelope: EventEnvelope) {
        self.id = id
        self.envelope = envelope
    }
}

/// A request from an authenticated sender that ingest could not turn into envelopes.
public struct QuarantinedDelivery: Sendable, Hashable {
    public var source: String
    public var reason: String
    public var receivedAt: Date
    public var raw: RawRequest

    public init(source: String, reason: String, receivedAt: Date, raw: RawRequest) {
        self.source = source
        self.reason = reason
        self.receivedAt = receivedAt
        self.raw = raw
    }
}

/// A quarantined request with its id.
public struct StoredQuarantinedDelivery: Sendable, Hashable {
    public var id: Int64
    public var delivery: QuarantinedDelivery

    public init(id: Int64, delivery: QuarantinedDelivery) {
        self.id = id
        self.delivery = delivery
    }
}

/// What `prune` deleted. Dead items and quarantined requests are kept until a person drops them.
public struct PruneReport: Sendable, Hashable {
    public var events: Int
    public var workItems: Int

    public init(events: Int, workItems: Int) {
        self.events = events
        self.workItems = workItems
    }
}

/// A queue that can also append events synchronously, for a committer that owns its thread.
///
/// Ingest's group commit is one long chain of commits; each await in it (to reach the database's
/// writer, and back) waited for a busy thread under a burst. A store that can write from the
/// committer's own thread, with the events encoded beforehand by each request, makes that chain
/// only SQL and fsync. A backend without a synchronous client need not conform; ingest then awaits
/// `enqueue`.
public protocol SynchronousEnqueue: Sendable {
    /// The envelopes of one request, encoded for storage: done by the request, in parallel with others.
    associatedtype Prepared: Sendable

    func prepare(_ envelopes: [EventEnvelope]) -> Prepared

    /// Appends every request's events in one transaction, blocking the calling thread until it commits.
    /// Waits at most `lockWait` for another process's write lock (zero: tries once), then throws.
    func enqueueSynchronously(_ requests: [Prepared], lockWait: Duration) throws -> EnqueueReceipt
}
