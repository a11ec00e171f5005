import ArgumentParser
import Foundation
import HookSyncApp
import HookSyncConfig
import HookSyncCore
import HookSyncSQLite

struct MirrorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror",
        abstract: "Read the local mirror of synced entities (sink kind: mirror).",
        subcommands: [Export.self],
        defaultSubcommand: Export.self)

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the mirror as JSON lines, in (source, type, id) order.",
            discussion: """
                One line per entity: {"source", "type", "id", "deleted", "remote_modified_at", "synced_at", "data"}; \
                a deleted entity has "deleted": true and "data": null. Times are ISO 8601 UTC.
                """)
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only this source.") var source: String?
        @Option(help: "Only this entity type.") var type: String?

        func run() async throws {
            let workspace = try options.loadWorkspaceWithoutSecrets()
            guard case .mirror(let path) = workspace.config.sink else {
                throw CommandFailure("the sink is not the mirror (sink.kind in \(options.configPath)); there is nothing to export")
            }
            // Opening would create an empty mirror, and a mistyped sink.database would then export nothing, silently.
            guard FileManager.default.fileExists(atPath: path) else {
                throw CommandFailure("no mirror at \(path) (sink.database in \(options.configPath)): nothing has been synced there yet; "
                    + "the worker and `hooksync resync` create it")
            }
            let mirror = try MirrorStore.open(path: path, options: workspace.sqliteOptions)
            var output = StandardOutput()
            var exported = 0
            try mirror.forEachRow(source: source, type: type) { row in
                let document = EntityDocument(
                    key: row.key, deleted: row.deleted, remoteModifiedAt: row.remoteModifiedAt, observedAt: row.observedAt, syncedAt: row.syncedAt,
                    data: row.data)
                output.write(document.jsonLine() + "\n")
                exported += 1
            }
            output.flush()
            // An empty export after a mistyped --source or --type looks like an empty mirror: say what is there.
            if exported == 0, source != nil || type != nil {
                let held = try mirror.entityCounts().map { "\($0.source)/\($0.type) (\($0.count))" }
                let filter = [source.map { "--source \($0)" }, type.map { "--type \($0)" }].compactMap { $0 }.joined(separator: " ")
                FileHandle.standardError.write(Data("""
                    no entity in the mirror matches \(filter); \(held.isEmpty ? "the mirror is empty" : "it holds \(held.joined(separator: ", "))")

                    """.utf8))
            }
            try mirror.close()
        }
    }
}

/// Standard output with a buffer: an export of a million lines should not be a million write calls.
struct StandardOutput {
    private var buffer: [UInt8] = []

    mutating func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}
