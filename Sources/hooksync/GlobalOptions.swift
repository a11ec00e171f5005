import ArgumentParser
import Foundation
import HookSyncApp

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp("The configuration file.", discussion: "Default: $HOOKSYNC_CONFIG, else ./hooksync.yaml.", valueName: "file"))
    var config: String?

    var configPath: String {
        config ?? ProcessInfo.processInfo.environment["HOOKSYNC_CONFIG"] ?? "./hooksync.yaml"
    }

    func loadWorkspace() throws -> Workspace {
        try Workspace.load(configPath: configPath, environment: ProcessInfo.processInfo.environment)
    }
}
