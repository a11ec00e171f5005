import ArgumentParser
import HookSyncApp
import HookSyncConfig
import HookSyncSQLite
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what the queue holds: received, duplicates, pending, in flight, done, dead, quarantined.",
        discussion: "--json prints the stable document described in docs/status.md.")

    @OptionGroup var options: GlobalOptions

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    func run() async throws {
        let store = try options.loadWorkspaceWithoutSecrets().openStore()
        let status = try await store.status()
        print(json ? try StatusReport.json(status) : StatusReport.text(status))
    }
}
