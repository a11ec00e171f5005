import Foundation
import GRDB
import HookSyncSQLite
import Testing

@Suite("Schema and migrations")
struct SchemaTests {
    let folder = FileManager.default.temporaryDirectory.appending(path: "hooksync-schema-\(UUID().uuidString)")
    var path: String { folder.appending(path: "nested/queue.sqlite").path }

    @Test func migrateAppliesEachMigrationOnceAndCreatesTheFolder() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try SQLiteSchema.migrate(path: path)
        #expect(first.applied == SQLiteSchema.knownMigrations)
        #expect(first.alreadyApplied.isEmpty)
        let second = try SQLiteSchema.migrate(path: path)
        #expect(second.applied.isEmpty)
        #expect(second.alreadyApplied == SQLiteSchema.knownMigrations)
        _ = try SQLiteSchema.openCurrent(path: path)
    }

    @Test(arguments: SQLiteOptions.Synchronous.allCases)
    func theConfiguredSynchronousModeIsTheWritersMode(_ mode: SQLiteOptions.Synchronous) throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try SQLiteSchema.migrate(path: path)
        let pool = try SQLiteSchema.openCurrent(path: path, options: SQLiteOptions(synchronous: mode))
        // 2 is FULL, 1 NORMAL: a commit that ingest answers for must survive power loss under full.
        let writer = try pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(writer == (mode == .full ? 2 : 1))
        try pool.close()
    }

    @Test func missingDatabaseIsRefusedWithAHint() throws {
        #expect(throws: SQLiteSchemaError.missing(path: path)) { try SQLiteSchema.openCurrent(path: path) }
        #expect(SQLiteSchemaError.missing(path: path).description.contains("hooksync migrate"))
        #expect(!FileManager.default.fileExists(atPath: path), "refusing must not create the file")
    }

    @Test func databaseBehindTheBinaryIsRefused() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try DatabaseQueue(path: path).close()
        #expect(throws: SQLiteSchemaError.behind(path: path, pending: SQLiteSchema.knownMigrations)) {
            try SQLiteSchema.openCurrent(path: path)
        }
    }

    @Test func databaseAheadOfTheBinaryIsRefused() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try SQLiteSchema.migrate(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999_future')") }
        try queue.close()
        #expect(throws: SQLiteSchemaError.ahead(path: path, unknown: ["9999_future"])) {
            try SQLiteSchema.openCurrent(path: path)
        }
        #expect(throws: SQLiteSchemaError.ahead(path: path, unknown: ["9999_future"])) {
            try SQLiteSchema.migrate(path: path)
        }
    }

    @Test func migrationsAreTheFilesOfTheMigrationsFolder() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "../../migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".sql") }.sorted().map { String($0.dropLast(4)) }
        #expect(files == SQLiteSchema.knownMigrations)
        #expect(files.allSatisfy { $0.range(of: #"^\d{4}_[a-z0-9_]+$"#, options: .regularExpression) != nil })
    }
}
