import ArgumentParser

/// `hooksync`: receive thin webhooks durably, sync the entities they name, reconcile what they missed.
@main
struct HookSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hooksync",
        abstract: "A webhook consumer that never loses one: durable ingest, a SQLite queue, workers, reconciliation.",
        discussion: """
            Every command reads its configuration from --config FILE (default: $HOOKSYNC_CONFIG, \
            else ./hooksync.yaml). Secrets belong in environment variables, referenced as ${NAME}.

            Start with `hooksync config check`, then `hooksync migrate`.
            """,
        subcommands: [
            MigrateCommand.self, ConfigCommand.self, IngestCommand.self, WorkerCommand.self, ReconcileCommand.self, ResyncCommand.self, StatusCommand.self,
            DeadLettersCommand.self, QuarantineCommand.self, MirrorCommand.self, PruneCommand.self,
        ]
    )
}
