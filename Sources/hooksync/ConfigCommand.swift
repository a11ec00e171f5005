import ArgumentParser
import Foundation
import HookSyncApp
import HookSyncConfig
import HookSyncSQLite
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Inspect the configuration.",
        subcommands: [CheckCommand.self])

    struct CheckCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate the configuration file and print the effective configuration, secrets masked.",
            discussion: """
                Exits non-zero and lists every problem, each with its key, when the file is invalid. \
                A setting that works but is weak (a short token) is printed as a warning on stderr.
                """)

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let workspace = try options.loadWorkspace()
            for warning in workspace.config.warnings {
                FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
            }
            print("# \(workspace.configPath) is valid; effective configuration:")
            print(try workspace.config.effectiveYAML(), terminator: "")
        }
    }
}
