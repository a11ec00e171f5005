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

    /// The configuration with every secret's variable set: for `ingest`, which authenticates
    /// webhooks, and for `config check`.
    func loadWorkspace() throws -> Workspace {
        try Workspace.load(configPath: configPath, environment: ProcessInfo.processInfo.environment)
    }

    /// The configuration for a command that calls providers but never receives a webhook (`worker`,
    /// `reconcile`, `resync`): the credentials it sends must be set, ingest's own secrets need not be,
    /// so a worker's host holds only what the worker uses.
    func loadWorkspaceForOutboundCalls() throws -> Workspace {
        try Workspace.load(configPath: configPath, environment: ProcessInfo.processInfo.environment, secretVariables: .outboundRequired)
    }

    /// The configuration for a command that never reads a secret (it only reads or edits the queue
    /// and the mirror): a secret whose variable is unset is no problem.
    func loadWorkspaceWithoutSecrets() throws -> Workspace {
        try Workspace.load(configPath: configPath, environment: ProcessInfo.processInfo.environment, secretVariables: .mayBeUnset)
    }
}
