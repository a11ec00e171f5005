import Foundation
public import Prometheus
import Synchronization

/// The ingest listener's Prometheus metrics, served at `GET /metrics`.
///
/// Labels come only from configured source names (anything else is `unknown`), so a scan of random
/// URLs cannot blow up the number of series.
public final class IngestMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let knownSources: Set<String>
    let queueDepth: Gauge
    let oldestWaiting: Gauge
    let commits: Counter
    let requestsPerCommit: ValueHistogram
    /// The per-request metrics, made once per label set: asking the registry builds names and label
    /// keys on every call, which showed in the ingest profile.
    private let requestMetrics = Mutex<[RequestLabels: (counter: Counter, latency: DurationHistogram)]>([:])

    struct RequestLabels: Hashable {
        var source: String
        var outcome: String
    }

    static let latencyBuckets: [Duration] = [1, 2, 5, 10, 25, 50, 100, 250, 1000].map { .milliseconds($0) }

    public init(sources: [String], registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        knownSources = Set(sources)
        queueDepth = registry.makeGauge(descriptor: Self.name(
            "queue", "depth", unit: "", help: "Events queued or pending: work not yet claimed by a worker"))
        oldestWaiting = registry.makeGauge(descriptor: Self.name(
            "queue", "oldest_waiting", unit: "seconds", help: "Age of the oldest event waiting for a worker"))
        commits = registry.makeCounter(descriptor: Self.name(
            "ingest", "commits", unit: "total", help: "Transactions that stored webhook events"))
        requestsPerCommit = registry.makeValueHistogram(
            descriptor: Self.name("ingest", "requests_per_commit", unit: "", help: "Requests stored by one transaction (group commit)"),
            buckets: [1, 2, 4, 8, 16, 32, 64, 128])
    }

    func recordCommit(requests: Int) {
        commits.increment()
        requestsPerCommit.record(Double(requests))
    }

    /// Counts one request by source and outcome, as `WebhookReceiver` names them: `accepted` (a repeated
    /// delivery too: duplicates are told apart in the store, not here), `quarantined`, `unauthorized`,
    /// `unknown_source`, `method_not_allowed`, `too_large`, `store_failed`, `error`.
    func request(source: String, outcome: String, duration: Duration) {
        let labels = RequestLabels(source: knownSources.contains(source) ? source : "unknown", outcome: outcome)
        let metrics = requestMetrics.withLock { cache in
            if let made = cache[labels] { return made }
            let made = (
                counter: registry.makeCounter(
                    descriptor: Self.name("ingest", "requests", unit: "total", help: "Webhook requests by source and outcome"),
                    labels: [("source", labels.source), ("outcome", labels.outcome)]),
                latency: registry.makeDurationHistogram(
                    descriptor: Self.name("ingest", "duration", unit: "seconds", help: "Time from request to answer, including the durable commit"),
                    labels: [("source", labels.source)], buckets: Self.latencyBuckets))
            cache[labels] = made
            return made
        }
        metrics.counter.increment()
        metrics.latency.record(duration)
    }

    /// `hooksync_<subsystem>_<name>_<unit>`.
    static func name(_ subsystem: String, _ name: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "hooksync", subsystem: subsystem, metricName: name, unitName: unit, helpText: help)
    }

    func recordQueue(depth: Int, oldestWaitingSeconds: Double?) {
        queueDepth.set(Double(depth))
        oldestWaiting.set(oldestWaitingSeconds ?? 0)
    }
}
