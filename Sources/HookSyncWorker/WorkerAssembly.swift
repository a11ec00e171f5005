import AsyncHTTPClient
public import HookSyncConfig
public import HookSyncCore
import HookSyncProviders
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
    let transports: [AsyncHTTPTransport]
    let mirror: MirrorStore?

    public init(
        config: HookSyncConfiguration, queue: any QueueStore, mirrorOptions: SQLiteOptions,
        clock: any WallClock = SystemWallClock(), settings: WorkerSettings? = nil, logger: Logger
    ) throws {
        var transports: [AsyncHTTPTransport] = []
        var sources: [WorkerSource] = []
        do {
            for source in config.sources {
                let transport = AsyncHTTPTransport(
                    connectTimeout: source.limits.connectTimeout, readTimeout: source.limits.readTimeout,
                    maxConnections: source.limits.maxParallel)
                transports.append(transport)
                let api = try ProviderAPIs.make(
                    kind: source.kind.rawValue, settings: APISettings(source: source.name, values: source.api.mapValues(\.value)),
                    transport: transport, now: { clock.now })
                sources.append(WorkerSource(name: source.name, api: api, limits: source.limits))
            }
            let sink: any Sink
            switch config.sink {
            case .mirror(let database):
                let store = try MirrorStore.open(path: database, options: mirrorOptions)
                mirror = store
                sink = store
            case .http(let url, let secret):
                let transport = AsyncHTTPTransport(connectTimeout: .seconds(5), readTimeout: .seconds(30), maxConnections: config.worker.concurrency)
                transports.append(transport)
                sink = HTTPSink(url: url, secret: secret.value, transport: transport)
                mirror = nil
            case .exec(let command):
                sink = ExecSink(command: command, timeout: .seconds(60))
                mirror = nil
            }
            self.transports = transports
            worker = Worker(
                queue: queue, sources: sources, sink: sink,
                settings: settings ?? WorkerSettings(options: config.worker, retention: config.queue.retention),
                clock: clock, logger: logger)
        } catch {
            // Building failed (a bad api: setting): close the pools opened so far before reporting it.
            for transport in transports { try? transport.client.syncShutdown() }
            throw error
        }
    }

    public func shutdown() async throws {
        for transport in transports { try await transport.shutdown() }
        try mirror?.close()
    }
}
