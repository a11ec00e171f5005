public import Foundation
public import HookSyncConfig
public import HookSyncCore
public import HookSyncProviders
public import HookSyncSQLite
public import Logging
public import ServiceLifecycle

/// One pass to run: a (source, type) and how much of it to list.
public struct ReconcileTarget: Sendable {
    public var source: SourceConfiguration
    public var type: String
    public var mode: ReconcileMode
    public var since: Date?
    /// True when a resync request (`POST /admin/resync`) asked for it: such a pass that cannot run
    /// now (another holds the lock, or the process stops) is asked for again rather than lost.
    public var requested: Bool

    public init(source: SourceConfiguration, type: String, mode: ReconcileMode, since: Date? = nil, requested: Bool = false) {
        self.source = source
        self.type = type
        self.mode = mode
        self.since = since
        self.requested = requested
    }

    /// Records the pass again as a resync request if it was one and `error` says it did not get
    /// to run (the lock was held) or was cut short by shutdown. Returns whether it did.
    public func requeueIfInterrupted(by error: any Error, in store: any ReconcileStore) async -> Bool {
        let interrupted = (error as? ReconcileError)?.isInterruption ?? (error is CancellationError)
        guard requested, error is ReconcileLockError || interrupted else { return false }
        let again = ResyncRequest(source: source.name, type: type, since: since, full: mode == .full)
        // In a task of its own: a shutdown's cancellation, which is what stopped the pass, would refuse the write.
        return await Task { (try? await store.requestResync(again, now: Date())) != nil }.value
    }
}

extension ResyncRequest {
    /// The passes the request asks for: its type, or every type under the source's reconcile.types.
    /// `nil` when the configuration no longer has the source (it was removed after the request).
    public func targets(in config: HookSyncConfiguration) -> [ReconcileTarget]? {
        guard let source = config.source(named: source) else { return nil }
        let mode = ReconcileMode.requested(full: full, since: since)
        return (type.map { [$0] } ?? source.reconcile.types).map { ReconcileTarget(source: source, type: $0, mode: mode, since: since, requested: true) }
    }
}

/// Runs resyncs asked for through `POST /admin/resync` inside the worker process, a few seconds
/// after they are recorded, rather than at the next nightly reconcile.
///
/// Passes take the same per-(source, type) lock as `hooksync reconcile`, so a worker and a cron run
/// never list the same thing at once; whichever takes a request runs it.
public struct ResyncService: Service {
    let store: any ReconcileStore
    let config: HookSyncConfiguration
    let apis: [String: any ProviderAPI]
    let mirror: MirrorStore?
    let sink: any Sink
    let pollInterval: Duration
    let logger: Logger

    public init(
        store: any ReconcileStore, config: HookSyncConfiguration, apis: [String: any ProviderAPI], mirror: MirrorStore?, sink: any Sink,
        pollInterval: Duration = .seconds(5), logger: Logger
    ) {
        self.store = store
        self.config = config
        self.apis = apis
        self.mirror = mirror
        self.sink = sink
        self.pollInterval = pollInterval
        self.logger = logger
    }

    public func run() async throws {
        // A pass in progress when the process is asked to stop is cancelled: it is let go of as it
        // stands (status shows it interrupted, with its counts), and its request is recorded again, so
        // the next run takes the pass over at once and resumes it at its last committed page.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    for request in try await store.takeResyncRequests(now: Date()) { await runRequest(request) }
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("could not read resync requests", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: pollInterval)
            }
        }
    }

    private func runRequest(_ request: ResyncRequest) async {
        guard let targets = request.targets(in: config) else {
            logger.warning("ignoring a resync request for a source no longer configured", metadata: ["source": "\(request.source)"])
            return
        }
        let runner = PassRunner(store: store, mirror: mirror, sink: sink, logger: logger) { [apis] source in
            apis[source.name].map { PassRunner.Client(api: $0, release: {}) }
        }
        // Nothing to release and no `shouldStop`: nothing in the run throws.
        _ = try? await runner.run(targets) { target, outcome in
            switch outcome {
            case .finished(let summary):
                logger.notice("resync done", metadata: [
                    "source": "\(summary.source)", "type": "\(summary.type)", "mode": "\(summary.mode.rawValue)",
                    "listed": "\(summary.counts.listed)", "changed": "\(summary.counts.changed)", "deleted": "\(summary.counts.deleted)",
                ])
            case .failed(let error as ReconcileError, let requeued) where error.isInterruption:
                logger.notice("resync interrupted by the worker's shutdown", metadata: [
                    "source": "\(target.source.name)", "type": "\(target.type)", "detail": "\(error)", "asked_for_again": "\(requeued)",
                ])
            case .failed(let error, let requeued):
                logger.error("resync failed", metadata: [
                    "source": "\(target.source.name)", "type": "\(target.type)", "error": "\(error)", "asked_for_again": "\(requeued)",
                ])
            }
        }
    }
}
