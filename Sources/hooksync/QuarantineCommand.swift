import ArgumentParser
import Foundation
import HookSyncApp
import HookSyncConfig
import HookSyncCore
import HookSyncIngest
import HookSyncSQLite

struct QuarantineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine",
        abstract: "Inspect, replay or drop requests that authenticated but could not be parsed.",
        subcommands: [List.self, Show.self, Replay.self, Drop.self],
        defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List quarantined requests, oldest first.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only this source.") var source: String?
        @Option(help: "At most this many.") var limit = 100

        func run() async throws {
            let entries = try await options.loadWorkspaceWithoutSecrets().openStore().quarantinedDeliveries(source: source, limit: limit)
            if entries.isEmpty { print("quarantine is empty") }
            for entry in entries {
                let delivery = entry.delivery
                print("#\(entry.id)  \(ISO8601DateFormatter().string(from: delivery.receivedAt))  \(delivery.source)  \(delivery.raw.method) \(delivery.raw.body.count) bytes  \(delivery.reason)")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one quarantined request as it arrived (token removed).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The entry's id (#N in the list).") var id: Int64

        func run() async throws {
            guard let entry = try await options.loadWorkspaceWithoutSecrets().openStore().quarantinedDelivery(id: id) else {
                throw CommandFailure("no quarantined request #\(id)")
            }
            let raw = entry.delivery.raw
            print("quarantined request #\(entry.id) from \(entry.delivery.source), \(ISO8601DateFormatter().string(from: entry.delivery.receivedAt))")
            print("reason: \(entry.delivery.reason)")
            print("\(raw.method) \(raw.path)\(raw.query.isEmpty ? "" : "?" + raw.query)")
            for (name, value) in raw.headers.sorted(by: { $0.key < $1.key }) { print("\(name): \(value)") }
            print("")
            print(String(decoding: raw.body, as: UTF8.self))
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Parse quarantined requests again; enqueue and remove those that now parse.",
            usage: "hooksync quarantine replay <id>\nhooksync quarantine replay --all [--source <source>]")
        @OptionGroup var options: GlobalOptions
        @OptionGroup var selection: SelectionOptions

        func run() async throws {
            let id = selection.id
            let workspace = try options.loadWorkspaceWithoutSecrets()
            let store = try workspace.openStore()
            let entries: [StoredQuarantinedDelivery]
            if let id {
                guard let entry = try await store.quarantinedDelivery(id: id) else { throw CommandFailure("no quarantined request #\(id)") }
                entries = [entry]
            } else {
                entries = try await store.quarantinedDeliveries(source: selection.source, limit: Int.max)
            }
            var replayed = 0
            for entry in entries {
                switch try await QuarantineReplay.replay(entry, config: workspace.config, store: store) {
                case .enqueued(let events):
                    replayed += 1
                    print("#\(entry.id): enqueued \(events) events")
                case .stillRejected(let reason):
                    print("#\(entry.id): still rejected: \(reason)")
                }
            }
            if id != nil && replayed == 0 { throw ExitCode.failure }
            if id == nil { print("\(replayed) of \(entries.count) replayed") }
        }
    }

    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a quarantined request for good.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The entry's id.") var id: Int64

        func run() async throws {
            guard try await options.loadWorkspaceWithoutSecrets().openStore().dropQuarantined(id: id) else {
                throw CommandFailure("no quarantined request #\(id)")
            }
            print("dropped quarantined request #\(id)")
        }
    }
}
