import ArgumentParser
import HookSyncApp
import HookSyncConfig
import HookSyncSQLite

struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "Inspect, retry or drop work that failed too often.",
        subcommands: [List.self, Show.self, Retry.self, Drop.self],
        defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead letters, oldest first.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only this source.") var source: String?
        @Option(help: "At most this many.") var limit = 100
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let items = try await options.loadWorkspaceWithoutSecrets().openStore().deadLetters(source: source, limit: limit)
            print(json ? try WorkItemReport.json(items) : WorkItemReport.table(items))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one work item and the deliveries behind it.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The work item's id (#N in the list).") var id: Int64
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let store = try options.loadWorkspaceWithoutSecrets().openStore()
            guard let item = try await store.workItem(id: id) else { throw CommandFailure("no work item #\(id)") }
            let events = try await store.events(forWorkItem: id)
            print(json ? try WorkItemReport.json(item, events: events) : WorkItemReport.detail(item, events: events))
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put dead letters back in the queue with their attempts reset.",
            usage: "hooksync dead-letters retry <id>\nhooksync dead-letters retry --all [--source <source>]")
        @OptionGroup var options: GlobalOptions
        @OptionGroup var selection: SelectionOptions

        func run() async throws {
            let store = try options.loadWorkspaceWithoutSecrets().openStore()
            if let id = selection.id {
                guard try await store.retryDeadLetter(id: id) else { throw CommandFailure("work item #\(id) is not a dead letter") }
                print("work item #\(id) is back in the queue")
            } else {
                print("\(try await store.retryAllDeadLetters(source: selection.source)) dead letters are back in the queue")
            }
        }
    }

    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a dead letter for good.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The work item's id.") var id: Int64

        func run() async throws {
            guard try await options.loadWorkspaceWithoutSecrets().openStore().dropDeadLetter(id: id) else {
                throw CommandFailure("work item #\(id) is not a dead letter")
            }
            print("dropped work item #\(id)")
        }
    }
}

/// A command that could not do what was asked; the message is printed as the error.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
