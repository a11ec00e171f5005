import Foundation
public import Prometheus

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

    /// Counts one request by source and outcome (accepted, duplicate, quarantined, unauthorized, …).
    func request(source: String, outcome: String, duration: Duration) {
        let label = knownSources.contains(source) ? source : "unknown"
        registry.makeCounter(
            descriptor: Self.name("ingest", "requests", unit: "total", help: "Webhook requests by source and outcome"),
            labels: [("source", label), ("outcome", outcome)]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: Self.name("ingest", "duration", unit: "seconds", help: "Time from request to answer, including the durable commit"),
            labels: [("source", label)], buckets: Self.latencyBuckets
        ).record(duration)
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
