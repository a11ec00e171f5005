import ArgumentParser
import Foundation
import HookSyncApp
import HookSyncConfig
import HookSyncCore
import HookSyncIngest
import HookSyncSQLite
import Logging
import ServiceLifecycle
import UnixSignals

struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Receive webhooks: authenticate, store durably, then answer 200.",
        discussion: """
            Listens on ingest.listen for POST /hooks/{source} and /hooks/{source}/{type} (Kladana also GET), \
            plus /healthz, /readyz and /metrics; and, if admin.token is set, on admin.listen for /admin/status. \
            SIGTERM or SIGINT: stop accepting, finish the requests in flight, exit 0. Log level: $LOG_LEVEL (default info).
            """)

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Also serve POST /bench/noop: it reads the body and answers like a stored webhook, storing nothing (the baseline of scripts/bench-ingest).")
    var benchmarkBaseline = false

    func run() async throws {
        let logger = ProcessLogging.bootstrap(label: "hooksync.ingest")
        let workspace = try options.loadWorkspace()
        for warning in workspace.config.warnings { logger.warning("config: \(warning)") }
        let store = try workspace.openStore()
        let config = workspace.config
        if config.sources.isEmpty { logger.warning("no sources configured: every webhook will get 404") }
        let listeners = IngestApplication(config: config, store: store, logger: logger, benchmarkBaseline: benchmarkBaseline) { port in
            logger.info("ingest listening", metadata: ["address": "\(config.ingest.listen.host):\(port)"])
        }
        if listeners.admin == nil { logger.notice("admin listener off: admin.token is not set") }
        let services: [any Service] = [listeners.ingest] + (listeners.admin.map { [$0] } ?? [])
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        try await group.run()
        try store.close()
    }
}
