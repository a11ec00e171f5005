import ArgumentParser
import Foundation
import HookSyncApp
import HookSyncConfig
import HookSyncCore
import HookSyncSQLite
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete events and finished work older than queue.retention (default 7d).",
        discussion: "Dead letters and quarantined requests are kept until dropped. Duplicate detection covers the retained events only.")

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let workspace = try options.loadWorkspaceWithoutSecrets()
        let cutoff = Date().addingTimeInterval(-workspace.config.queue.retention.timeInterval)
        let report = try await workspace.openStore().prune(before: cutoff)
        print("pruned \(report.events) events and \(report.workItems) finished work items received before \(ISO8601DateFormatter().string(from: cutoff))")
    }
}
