import Foundation
import PackagePlugin

/// Compiles the package's `migrations/*.sql` (the queue) and `migrations/mirror/*.sql` (the mirror)
/// into `EmbeddedMigrations.swift`, so the binary carries its schema and `migrations/` stays the one
/// place where the schema is written.
@main
struct EmbedMigrationsPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let migrationsDirectory = context.package.directoryURL.appending(path: "migrations")
        func sqlFiles(in directory: URL) throws -> [URL] {
            try FileManager.default
                .contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "sql" }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
        }
        let sqlFiles = try sqlFiles(in: migrationsDirectory) + sqlFiles(in: migrationsDirectory.appending(path: "mirror"))
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMigrations.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(sqlFiles.count) migrations",
                executable: try context.tool(named: "EmbedMigrations").url,
                arguments: [output.path] + sqlFiles.map(\.path),
                inputFiles: sqlFiles,
                outputFiles: [output]
            )
        ]
    }
}
