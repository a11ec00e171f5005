import ArgumentParser
import HookSyncApp
import HookSyncConfig
import HookSyncSQLite
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create the database or bring its schema up to date.",
        discussion: "Applies the migrations the database lacks, in order, each once. Safe to run again.")

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let workspace = try options.loadWorkspaceWithoutSecrets()
        let report = try workspace.migrate()
        let database = workspace.config.database
        if report.applied.isEmpty {
            print("\(database): schema is up to date (\(report.alreadyApplied.last ?? "no migrations"))")
        } else {
            for migration in report.applied { print("applied \(migration)") }
            print("\(database): schema is now \(report.applied.last!)")
        }
    }
}
