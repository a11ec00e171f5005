import Synchronization

/// Counters of what the worker did since it started, for its progress lines and its final log.
final class WorkerStats: Sendable {
    enum Event { case synced, failed, deferred, rateLimited, deadLettered }

    struct Snapshot: Equatable {
        var synced = 0, failed = 0, deferred = 0, rateLimited = 0, deadLettered = 0
    }

    private let counts = Mutex(Snapshot())

    func record(_ event: Event) {
        counts.withLock { counts in
            switch event {
            case .synced: counts.synced += 1
            case .failed: counts.failed += 1
            case .deferred: counts.deferred += 1
            case .rateLimited: counts.rateLimited += 1
            case .deadLettered: counts.deadLettered += 1
            }
        }
    }

    func snapshot() -> Snapshot { counts.withLock { $0 } }
}
