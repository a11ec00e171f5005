public import HookSyncConfig
public import HookSyncCore
public import HookSyncProviders
public import HookSyncSQLite
public import Logging

/// Runs reconcile passes one after another: the passes of `hooksync reconcile` and `hooksync resync`,
/// and those the worker's `ResyncService` runs for `POST /admin/resync`.
///
/// A pass that fails does not stop the ones after it. A pass that a resync request asked for and that
/// could not finish (another run held its lock, or the process was stopping) is asked for again.
///
/// ```swift
/// let runner = PassRunner(store: store, mirror: mirror, sink: sink, logger: logger) { source in
///     apis[source.name].map { PassRunner.Client(api: $0, release: {}) }
/// }
/// _ = try await runner.run(targets) { target, outcome in print(target.type, outcome) }
/// ```
public struct PassRunner: Sendable {
    /// A source's API client for one pass, and what lets go of it once the pass is over.
    public struct Client: Sendable {
        public var api: any ProviderAPI
        public var release: @Sendable () async throws -> Void

        public init(api: any ProviderAPI, release: @escaping @Sendable () async throws -> Void) {
            self.api = api
            self.release = release
        }
    }

    /// How one pass ended.
    public enum Outcome: Sendable {
        case finished(ReconcileSummary)
        /// `askedForAgain`: the pass was a requested one that did not get to finish, and is recorded
        /// as a resync request again.
        case failed(any Error, askedForAgain: Bool)
    }

    public var store: any ReconcileStore
    public var mirror: MirrorStore?
    public var sink: any Sink
    /// A running pass whose heartbeat is older than this is taken to be dead, and taken over.
    public var lockTimeout: Duration
    public var logger: Logger
    /// Hears about every committed page of every pass.
    public var onProgress: @Sendable (ReconcileProgress) -> Void
    /// The client for a pass over `source`; `nil` skips the pass.
    public var client: @Sendable (SourceConfiguration) throws -> Client?

    public init(
        store: any ReconcileStore, mirror: MirrorStore?, sink: any Sink, lockTimeout: Duration = .seconds(300), logger: Logger,
        onProgress: @escaping @Sendable (ReconcileProgress) -> Void = { _ in },
        client: @escaping @Sendable (SourceConfiguration) throws -> Client?
    ) {
        self.store = store
        self.mirror = mirror
        self.sink = sink
        self.lockTimeout = lockTimeout
        self.logger = logger
        self.onProgress = onProgress
        self.client = client
    }

    /// Runs `targets` in order and tells `report` how each ended. `shouldStop` is asked before each
    /// pass starts; once it says yes, the passes not started are returned (otherwise none are).
    public func run(
        _ targets: [ReconcileTarget], shouldStop: () -> Bool = { false }, report: (ReconcileTarget, Outcome) async -> Void
    ) async throws -> ArraySlice<ReconcileTarget> {
        for (index, target) in targets.enumerated() {
            if shouldStop() { return targets[index...] }
            guard let client = try client(target.source) else { continue }
            let reconciler = Reconciler(
                store: store, source: target.source, api: client.api, mirror: mirror, sink: sink, lockTimeout: lockTimeout, logger: logger,
                onProgress: onProgress)
            let outcome: Outcome
            do {
                outcome = .finished(try await reconciler.run(type: target.type, mode: target.mode, since: target.since))
            } catch {
                outcome = .failed(error, askedForAgain: await target.requeueIfInterrupted(by: error, in: store))
            }
            await report(target, outcome)
            try await client.release()
        }
        return []
    }
}
