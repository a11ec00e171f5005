import Foundation
import HookSyncCore
import Synchronization

/// The worker's bookkeeping of what it holds, and the hand-off between the claim loop and the fetch
/// slots.
///
/// Every leased item is `held` (renewed while it waits or runs, released if the worker stops before it
/// finishes). Claimed items wait in `ready` until one of the `concurrency` fetch slots takes it, so a
/// slot that finishes a fetch starts the next one at once instead of waiting for a claim transaction.
/// What comes after the fetch (the sink's write, the completion's commit) does not occupy a slot; the
/// claim loop stops claiming at `maxHeld`, so a slow sink or queue still holds the worker back.
///
/// A lock, not an actor: every fetch passes through here twice, and on a busy two-core machine each
/// hop onto an actor and back cost a fetch slot queueing it could not spare
/// (docs/decisions.md#the-workers-hand-off-is-a-lock-not-an-actor).
/// Nothing is awaited while the lock is held.
///
/// The claim loop sleeps in `waitForChange`, and anything that matters to it (room to claim, a stop
/// requested) wakes it, so it neither spins nor oversleeps.
final class WorkerControl: Sendable {
    let concurrency: Int
    let maxHeld: Int
    private let state = Mutex(State())

    private struct State: ~Copyable {
        var held: [Int64: Lease] = [:]
        /// Held items whose outcome is being recorded: the record may commit before `finish` lets go.
        var settling: Set<Int64> = []
        var isStopping = false
        var ready: [WorkItem] = []
        var idleSlots: [CheckedContinuation<WorkItem?, Never>] = []
        var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]

        /// At most a few times `concurrency` long, so taking from the front costs little.
        mutating func popReady() -> WorkItem? { ready.isEmpty ? nil : ready.removeFirst() }
        mutating func popIdleSlot() -> CheckedContinuation<WorkItem?, Never>? { idleSlots.isEmpty ? nil : idleSlots.removeFirst() }

        func wantedClaims(concurrency: Int, maxHeld: Int) -> Int {
            guard !isStopping, ready.count < concurrency else { return 0 }
            return max(0, maxHeld - held.count)
        }

        var isIdle: Bool { held.count == ready.count }

        /// The claim loop's waiters, to resume once the lock is released.
        mutating func takeWaiters() -> [CheckedContinuation<Void, Never>] {
            let woken = Array(waiters.values)
            waiters = [:]
            return woken
        }
    }

    /// `maxHeld` defaults to three items a slot: one fetching, one waiting, one settling.
    init(concurrency: Int, maxHeld: Int? = nil) {
        self.concurrency = concurrency
        self.maxHeld = max(maxHeld ?? 3 * concurrency, concurrency)
    }

    var held: [Int64: Lease] { state.withLock { $0.held } }
    var isStopping: Bool { state.withLock { $0.isStopping } }
    /// Slots waiting in `next()` for an item.
    var idleSlotCount: Int { state.withLock { $0.idleSlots.count } }

    /// Nothing is being fetched or settled. Items still waiting for a slot do not count: on a stop
    /// they are released, not processed.
    var isIdle: Bool { state.withLock { $0.isIdle } }

    /// Claimed items, in claim order; an idle slot gets one at once.
    func add(_ items: [WorkItem]) {
        var handed: [(CheckedContinuation<WorkItem?, Never>, WorkItem)] = []
        state.withLock { state in
            for item in items {
                guard let lease = item.lease else { continue }
                state.held[lease.itemID] = lease
                if let slot = state.popIdleSlot() {
                    handed.append((slot, item))
                } else {
                    state.ready.append(item)
                }
            }
        }
        for (slot, item) in handed { slot.resume(returning: item) }
    }

    /// The next item for a fetch slot; waits for one while there is none. Nil once the worker stops.
    func next() async -> WorkItem? {
        enum Taken { case item(WorkItem?), wait }
        var woken: [CheckedContinuation<Void, Never>] = []
        let taken: Taken = state.withLock { state in
            if state.isStopping { return .item(nil) }
            let item = state.popReady()
            if state.wantedClaims(concurrency: concurrency, maxHeld: maxHeld) > 0 { woken = state.takeWaiters() }
            return item.map { .item($0) } ?? .wait
        }
        for waiter in woken { waiter.resume() }
        if case .item(let item) = taken { return item }
        return await withCheckedContinuation { continuation in
            let answer: WorkItem?? = state.withLock { state in
                // Checked again under the lock: an item or a stop may have come since.
                if state.isStopping { return .some(nil) }
                if let item = state.popReady() { return .some(item) }
                state.idleSlots.append(continuation)
                return .none
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }

    /// The item's outcome is being recorded. Its lease is still held (and renewed), but a renewal
    /// that finds it gone from the queue has met the record's commit, not another worker.
    func settling(_ itemID: Int64) {
        state.withLock { _ = $0.settling.insert(itemID) }
    }

    /// The item's processing is over (done, failed, released or dead-lettered): its lease is no longer held.
    func finish(_ itemID: Int64) {
        let woken = state.withLock { state in
            state.held[itemID] = nil
            state.settling.remove(itemID)
            return state.wantedClaims(concurrency: concurrency, maxHeld: maxHeld) > 0 || state.isIdle ? state.takeWaiters() : []
        }
        for waiter in woken { waiter.resume() }
    }

    /// New expiry times after a renewal of `asked`. Returns the leases that were lost to another
    /// worker: asked for, not renewed, still held and not settling (an item that finished, or whose
    /// outcome committed, while the renewal ran was not lost, only let go).
    func renewed(_ renewed: [Lease], asked: [Lease]) -> [Lease] {
        state.withLock { state in
            for lease in renewed where state.held[lease.itemID] != nil { state.held[lease.itemID] = lease }
            let kept = Set(renewed.map(\.itemID))
            return asked.filter { !kept.contains($0.itemID) && state.held[$0.itemID] != nil && !state.settling.contains($0.itemID) }
        }
    }

    func stop() {
        let (slots, woken) = state.withLock { state in
            state.isStopping = true
            let slots = Array(state.idleSlots)
            state.idleSlots = []
            return (slots, state.takeWaiters())
        }
        for slot in slots { slot.resume(returning: nil) }
        for waiter in woken { waiter.resume() }
    }

    /// How many items to claim: at once if there is room, otherwise after the next change or `timeout`
    /// (then possibly zero). The check and the start of the wait are one step under the lock, so no
    /// wake-up between them is lost.
    func claimRoom(waitingAtMost timeout: Duration) async -> Int {
        await waitForChange(timeout: timeout) { $0.isStopping || $0.wantedClaims(concurrency: concurrency, maxHeld: maxHeld) > 0 }
        return state.withLock { $0.wantedClaims(concurrency: concurrency, maxHeld: maxHeld) }
    }

    /// Returns after the next change that matters to the claim loop or to shutdown, or after `timeout`,
    /// whichever is first.
    func waitForChange(timeout: Duration) async {
        await waitForChange(timeout: timeout) { _ in false }
    }

    private func waitForChange(timeout: Duration, unless isReady: @Sendable (borrowing State) -> Bool) async {
        let id = UUID()
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.wake(id)
        }
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                if isReady(state) { return true }
                state.waiters[id] = continuation
                return false
            }
            if ready { continuation.resume() }
        }
        timer.cancel()
    }

    private func wake(_ id: UUID) {
        state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
    }
}
