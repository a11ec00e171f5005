import AsyncHTTPClient
public import HookSyncConfig
public import HookSyncCore
public import HookSyncProviders
public import HookSyncSQLite
public import Logging

/// Builds a worker from hooksync.yaml: one API client (and HTTP connection pool) per source, the
/// configured sink, and the worker's settings; `shutdown()` closes what it opened.
///
/// ```swift
/// let assembly = try WorkerAssembly(config: config, queue: store, mirrorOptions: workspace.sqliteOptions, logger: logger)
/// try await ServiceGroup(services: [assembly.worker], …).run()
/// try await assembly.shutdown()
/// ```
public final class WorkerAssembly: Sendable {
    public let worker: Worker
    /// Runs `POST /admin/resync` requests; run it beside `worker`.
    public let resync: ResyncService
    let transports: [AsyncHTTPTransport]
    let mirror: MirrorStore?

    public init(
        config: HookSyncConfiguration, queue: any QueueStore, mirrorOptions: SQLiteOptions,
        clock: any WallClock = SystemWallClock(), settings: WorkerSettings? = nil, logger: Logger
    ) throws {
        var transports: [AsyncHTTPTransport] = []
        var sources: [WorkerSource] = []
        var apis: [String: any ProviderAPI] = [:]
        do {
            for source in config.sources {
                let (api, transport) = try Self.makeAPI(source, clock: clock)
                transports.append(transport)
                sources.append(WorkerSource(name: source.name, api: api, limits: source.limits))
                apis[source.name] = api
            }
            let configured = try Self.makeSink(config, mirrorOptions: mirrorOptions)
            if let transport = configured.transport { transports.append(transport) }
            mirror = configured.mirror
            let sink = configured.sink
            self.transports = transports
            worker = Worker(
                queue: queue, sources: sources, sink: sink,
                settings: settings ?? WorkerSettings(options: config.worker, retention: config.queue.retention),
                clock: clock, logger: logger)
            resync = ResyncService(store: queue, config: config, apis: apis, mirror: mirror, sink: sink, logger: logger)
        } catch {
            // Building failed (a bad api: setting): close the pools opened so far before reporting it.
            for transport in transports { try? transport.client.syncShutdown() }
            throw error
        }
    }

    /// The configured sink, and what must be closed with it.
    public struct ConfiguredSink: Sendable {
        public var sink: any Sink
        /// Set when the sink is the mirror (which reconciliation compares listings with).
        public var mirror: MirrorStore?
        /// The HTTP sink's connection pool, to shut down when done.
        public var transport: AsyncHTTPTransport?
    }

    /// Opens `sink:` of hooksync.yaml: the worker's and the reconcile commands' sink alike.
    public static func makeSink(_ config: HookSyncConfiguration, mirrorOptions: SQLiteOptions) throws -> ConfiguredSink {
        switch config.sink {
        case .mirror(let database):
            let store = try MirrorStore.open(path: database, options: mirrorOptions)
            return ConfiguredSink(sink: store, mirror: store)
        case .http(let url, let secret):
            let transport = AsyncHTTPTransport(connectTimeout: .seconds(5), readTimeout: .seconds(30), maxConnections: config.worker.concurrency)
            return ConfiguredSink(sink: HTTPSink(url: url, secret: secret.value, transport: transport), transport: transport)
        case .exec(let command):
            return ConfiguredSink(sink: ExecSink(command: command, timeout: .seconds(60)))
        }
    }

    /// The source's API client over its own connection pool (shut the transport down when done).
    public static func makeAPI(_ source: SourceConfiguration, clock: any WallClock) throws -> (any ProviderAPI, AsyncHTTPTransport) {
        let transport = AsyncHTTPTransport(
            connectTimeout: source.limits.connectTimeout, readTimeout: source.limits.readTimeout, maxConnections: source.limits.maxParallel)
        do {
            let api = try ProviderAPIs.make(
                kind: source.kind, settings: APISettings(source: source.name, values: source.api.mapValues(\.value)),
                transport: transport, now: { clock.now })
            return (api, transport)
        } catch {
            try? transport.client.syncShutdown()
            throw error
        }
    }

    public func shutdown() async throws {
        for transport in transports { try await transport.shutdown() }
        try mirror?.close()
    }
}
