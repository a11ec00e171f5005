import Foundation
import HookSyncCore

/// The worker's bookkeeping of what it holds: the leases of items being processed (renewed while they
/// run, released if the worker stops before they finish), the free processing slots, and the stop flag.
///
/// The claim loop sleeps in `waitForChange`, and anything that matters to it (a slot freed, a stop
/// requested) wakes it, so it neither spins nor oversleeps.
actor WorkerControl {
    let concurrency: Int
    private(set) var held: [Int64: Lease] = [:]
    private(set) var isStopping = false
    private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]

    init(concurrency: Int) {
        self.concurrency = concurrency
    }

    var freeSlots: Int { isStopping ? 0 : max(0, concurrency - held.count) }
    var isIdle: Bool { held.isEmpty }

    func hold(_ lease: Lease) {
        held[lease.itemID] = lease
    }

    /// The item's processing is over (done, failed, released or dead-lettered): its slot is free.
    func finish(_ itemID: Int64) {
        held[itemID] = nil
        wakeAll()
    }

    /// New expiry times after a renewal; leases missing from `renewed` were lost to another worker.
    func renewed(_ renewed: [Lease]) {
        for lease in renewed where held[lease.itemID] != nil { held[lease.itemID] = lease }
    }

    func stop() {
        isStopping = true
        wakeAll()
    }

    /// Returns after the next `finish`/`stop`, or after `timeout`, whichever is first.
    func waitForChange(timeout: Duration) async {
        let id = UUID()
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.wake(id)
        }
        await withCheckedContinuation { continuation in waiters[id] = continuation }
        timer.cancel()
    }

    private func wake(_ id: UUID) {
        waiters.removeValue(forKey: id)?.resume()
    }

    private func wakeAll() {
        let woken = waiters
        waiters = [:]
        for continuation in woken.values { continuation.resume() }
    }
}
