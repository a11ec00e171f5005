import Foundation
import HookSyncCore

/// A queue store that can only be awaited: it forwards to another store but is not
/// `SynchronousEnqueue`, as a backend without a synchronous client would not be. Ingest must then
/// commit through `enqueue`, and that path is tested with this.
///
/// Its writes can also be made to fail, as on a full disk or a read-only file: `failWrites` makes
/// `enqueue` and `quarantine` throw while `checkWritable` still passes, as SQLite's does then.
struct AwaitingQueueStore: QueueStore {
    let base: any QueueStore
    let enqueues = Counter()
    let statusReads = Counter()
    let depthReads = Counter()
    let failWrites = Switch()

    // @unchecked: `on` is only read and written under `lock`.
    final class Switch: @unchecked Sendable {
        private let lock = NSLock()
        private var on = false
        var isOn: Bool {
            get { lock.withLock { on } }
            set { lock.withLock { on = newValue } }
        }
    }

    struct InjectedWriteFailure: Error, CustomStringConvertible {
        var description: String { "database or disk is full" }
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func increment() { lock.withLock { value += 1 } }
        var count: Int { lock.withLock { value } }
    }

    func enqueue(_ envelopes: [EventEnvelope]) async throws -> EnqueueReceipt {
        enqueues.increment()
        if failWrites.isOn { throw InjectedWriteFailure() }
        return try await base.enqueue(envelopes)
    }
    func claim(limit: Int, leaseDuration: Duration, owner: String) async throws -> [WorkItem] { try await base.claim(limit: limit, leaseDuration: leaseDuration, owner: owner) }
    func complete(_ leases: [Lease]) async throws -> [Lease] { try await base.complete(leases) }
    func fail(_ lease: Lease, retryAt: Date, error: String) async throws -> Bool { try await base.fail(lease, retryAt: retryAt, error: error) }
    func release(_ lease: Lease, runAt: Date, reason: String?) async throws -> Bool { try await base.release(lease, runAt: runAt, reason: reason) }
    func deadLetter(_ lease: Lease, reason: String) async throws -> Bool { try await base.deadLetter(lease, reason: reason) }
    func extend(_ leases: [Lease], by duration: Duration) async throws -> [Lease] { try await base.extend(leases, by: duration) }
    func recordSourceHealth(_ health: SourceHealth) async throws { try await base.recordSourceHealth(health) }
    func status() async throws -> QueueStatus {
        statusReads.increment()
        return try await base.status()
    }
    func depth() async throws -> QueueDepth {
        depthReads.increment()
        return try await base.depth()
    }
    func workItem(id: Int64) async throws -> WorkItem? { try await base.workItem(id: id) }
    func events(forWorkItem id: Int64) async throws -> [StoredEvent] { try await base.events(forWorkItem: id) }
    func deadLetters(source: String?, limit: Int) async throws -> [WorkItem] { try await base.deadLetters(source: source, limit: limit) }
    func retryDeadLetter(id: Int64) async throws -> Bool { try await base.retryDeadLetter(id: id) }
    func retryAllDeadLetters(source: String?) async throws -> Int { try await base.retryAllDeadLetters(source: source) }
    func dropDeadLetter(id: Int64) async throws -> Bool { try await base.dropDeadLetter(id: id) }
    func quarantine(_ delivery: QuarantinedDelivery) async throws -> Int64 {
        if failWrites.isOn { throw InjectedWriteFailure() }
        return try await base.quarantine(delivery)
    }
    func quarantinedDeliveries(source: String?, limit: Int) async throws -> [StoredQuarantinedDelivery] { try await base.quarantinedDeliveries(source: source, limit: limit) }
    func quarantinedDelivery(id: Int64) async throws -> StoredQuarantinedDelivery? { try await base.quarantinedDelivery(id: id) }
    func dropQuarantined(id: Int64) async throws -> Bool { try await base.dropQuarantined(id: id) }
    func checkWritable() async throws { try await base.checkWritable() }
    func prune(before cutoff: Date) async throws -> PruneReport { try await base.prune(before: cutoff) }
    func watermark(source: String, type: String) async throws -> Date? { try await base.watermark(source: source, type: type) }
    func beginPass(_ plan: ReconcilePassPlan, owner: String, now: Date, staleAfter: Duration) async throws -> ReconcilePass {
        try await base.beginPass(plan, owner: owner, now: now, staleAfter: staleAfter)
    }
    func recordPage(_ passID: Int64, owner: String, position: ListingPosition, counts: ReconcileCounts, now: Date) async throws -> Bool {
        try await base.recordPage(passID, owner: owner, position: position, counts: counts, now: now)
    }
    func releasePass(_ passID: Int64, owner: String) async throws -> Bool { try await base.releasePass(passID, owner: owner) }
    func heartbeat(_ passID: Int64, owner: String, now: Date) async throws -> Bool { try await base.heartbeat(passID, owner: owner, now: now) }
    func finishPass(_ passID: Int64, owner: String, counts: ReconcileCounts, watermark: Date?, now: Date) async throws -> Bool {
        try await base.finishPass(passID, owner: owner, counts: counts, watermark: watermark, now: now)
    }
    func failPass(_ passID: Int64, owner: String, counts: ReconcileCounts, error: String, now: Date) async throws -> Bool {
        try await base.failPass(passID, owner: owner, counts: counts, error: error, now: now)
    }
    func recentPasses(limit: Int) async throws -> [ReconcilePass] { try await base.recentPasses(limit: limit) }
    func requestResync(_ request: ResyncRequest, now: Date) async throws -> Int64 { try await base.requestResync(request, now: now) }
    func takeResyncRequests(now: Date) async throws -> [ResyncRequest] { try await base.takeResyncRequests(now: now) }
    func acquire(
        source: String, budget: SourceBudget, holder: String, slotExpiry: Duration, releasing: [BudgetSlot], clock: any WallClock
    ) async throws -> BudgetAdmission {
        try await base.acquire(source: source, budget: budget, holder: holder, slotExpiry: slotExpiry, releasing: releasing, clock: clock)
    }
    func release(_ slots: [BudgetSlot]) async throws { try await base.release(slots) }
    func pause(source: String, until: Date, reason: String) async throws { try await base.pause(source: source, until: until, reason: reason) }
    func budgetStatus(now: Date) async throws -> [SourceBudgetStatus] { try await base.budgetStatus(now: now) }
}
