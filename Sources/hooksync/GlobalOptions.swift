import ArgumentParser
import Foundation
import HookSyncApp
import HookSyncConfig

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp("The configuration file.", discussion: "Default: $HOOKSYNC_CONFIG, else ./hooksync.yaml.", valueName: "file"))
    var config: String?

    var configPath: String {
        config ?? ProcessInfo.processInfo.environment["HOOKSYNC_CONFIG"] ?? "./hooksync.yaml"
    }

    /// The configuration with every secret's variable set: for the commands that authenticate
    /// webhooks or call providers, and for `config check`.
    func loadWorkspace() throws -> Workspace {
        try Workspace.load(configPath: configPath, environment: ProcessInfo.processInfo.environment)
    }

    /// The configuration for a command that never reads a secret (it only reads or edits the queue
    /// and the mirror): a secret whose variable is unset is no problem.
    func loadWorkspaceWithoutSecrets() throws -> Workspace {
        try Workspace.load(configPath: configPath, environment: ProcessInfo.processInfo.environment, secretVariables: .mayBeUnset)
    }
}
