import ArgumentParser
import HookSyncApp
import HookSyncConfig
import HookSyncCore
import HookSyncSQLite
import HookSyncWorker
import Logging
import ServiceLifecycle
import UnixSignals

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Drain the queue: fetch each changed entity from its provider's API and write it to the sink.",
        discussion: """
            Claims work in batches and runs up to worker.concurrency fetches at once, within each source's \
            limits and max_parallel (api: section; defaults from each provider's documented limits), which \
            every process on the database shares. \
            Failures retry with exponential backoff and full jitter, then go to `hooksync dead-letters`. \
            A 429 pauses the source for every process as long as the provider asks, without counting an \
            attempt; 401/403 or a run of failures \
            pauses the source (its circuit opens) until a probe succeeds.

            Resyncs requested through POST /admin/resync run here within a few seconds, under the same \
            per-(source, type) lock as `hooksync reconcile`. Several workers may run against one database. SIGTERM or SIGINT: stop claiming, let in-flight \
            fetches finish for worker.shutdown_grace, put the rest back, exit 0. Log level: $LOG_LEVEL (default info).
            """)

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let logger = ProcessLogging.bootstrap(label: "hooksync.worker")
        let workspace = try options.loadWorkspaceForOutboundCalls()
        for warning in workspace.config.warnings { logger.warning("config: \(warning)") }
        let store = try workspace.openStore()
        if workspace.config.sources.isEmpty { logger.warning("no sources configured: every item will be dead-lettered") }
        let assembly = try WorkerAssembly(config: workspace.config, queue: store, mirrorOptions: workspace.sqliteOptions, logger: logger)
        let group = ServiceGroup(services: [assembly.worker, assembly.resync], gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        try await group.run()
        try await assembly.shutdown()
        try store.close()
    }
}
