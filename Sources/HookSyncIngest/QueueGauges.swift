import Foundation
import HookSyncCore
import Synchronization

/// Keeps `/metrics`' queue gauges current without making every scrape read the queue.
///
/// Only the first scrape waits for a reading. After that a scrape answers at once with what the
/// last reading found and, if that reading is older than `maxAge`, starts one new reading in the
/// background (never two at once). A scrape so costs the same on an empty queue as on one of a
/// million items, and a scraper polling every second reads the queue at most once per `maxAge`.
final class QueueGauges: Sendable {
    private struct State {
        var readAt: ContinuousClock.Instant?
        var reading: Task<Void, Never>?
    }

    private let store: any QueueInspector
    private let metrics: IngestMetrics
    private let maxAge: Duration
    private let shared = Mutex(State())

    init(store: any QueueInspector, metrics: IngestMetrics, maxAge: Duration = .seconds(5)) {
        self.store = store
        self.metrics = metrics
        self.maxAge = maxAge
    }

    /// Called by each scrape, before it renders the registry.
    func scraped() async {
        let now = ContinuousClock.now
        let (reading, firstReading) = shared.withLock { state -> (Task<Void, Never>?, Bool) in
            let first = state.readAt == nil
            if let reading = state.reading { return (reading, first) }
            guard first || now - state.readAt! >= maxAge else { return (nil, false) }
            let reading = Task { [self] in
                if let depth = try? await store.depth() {
                    metrics.recordQueue(depth: depth.waiting, oldestWaitingSeconds: depth.oldestWaitingAgeSeconds)
                }
                shared.withLock {
                    $0.reading = nil
                    $0.readAt = ContinuousClock.now
                }
            }
            state.reading = reading
            return (reading, first)
        }
        if firstReading { await reading?.value }
    }
}
