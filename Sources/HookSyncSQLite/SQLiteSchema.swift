import Foundation
public import GRDB
import HookSyncCore

/// The database file's schema: applying `migrations/*.sql` in order, and refusing to run on a file
/// whose schema is behind or ahead of this binary.
///
/// ```swift
/// let report = try SQLiteSchema.migrate(path: "./data/hooksync.sqlite")
/// let pool = try SQLiteSchema.openCurrent(path: "./data/hooksync.sqlite")
/// ```
public enum SQLiteSchema {
    /// Every migration this binary knows, in order, as `migrations/NNNN_name.sql` named them.
    public static let knownMigrations: [String] = embeddedMigrations.map(\.identifier)

    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        for migration in embeddedMigrations {
            let sql = migration.sql
            migrator.registerMigration(migration.identifier) { db in try db.execute(sql: sql) }
        }
        return migrator
    }()

    /// Creates the file (and its folder) if needed and applies the migrations it lacks.
    public static func migrate(path: String, options: SQLiteOptions = SQLiteOptions()) throws -> MigrationReport {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let pool = try openPool(path: path, options: options)
        let before = try pool.read { db in try migrator.appliedIdentifiers(db) }
        let unknown = before.subtracting(knownMigrations)
        guard unknown.isEmpty else { throw SQLiteSchemaError.ahead(path: path, unknown: unknown.sorted()) }
        try migrator.migrate(pool)
        try pool.close()
        return MigrationReport(
            applied: knownMigrations.filter { !before.contains($0) },
            alreadyApplied: knownMigrations.filter { before.contains($0) })
    }

    /// Opens an existing database whose schema is exactly the one this binary knows.
    public static func openCurrent(path: String, options: SQLiteOptions = SQLiteOptions()) throws -> DatabasePool {
        guard FileManager.default.fileExists(atPath: path) else { throw SQLiteSchemaError.missing(path: path) }
        let pool = try openPool(path: path, options: options)
        let applied = try pool.read { db in try migrator.appliedIdentifiers(db) }
        let unknown = applied.subtracting(knownMigrations)
        guard unknown.isEmpty else { throw SQLiteSchemaError.ahead(path: path, unknown: unknown.sorted()) }
        let pending = knownMigrations.filter { !applied.contains($0) }
        guard pending.isEmpty else { throw SQLiteSchemaError.behind(path: path, pending: pending) }
        return pool
    }

    /// A pool on the file with the settings every process shares: WAL (DatabasePool's mode), a busy
    /// timeout so that writers from several processes queue up instead of failing, and the
    /// configured `synchronous` on the one connection that writes. GRDB begins write transactions
    /// IMMEDIATE, so a transaction never has to upgrade its lock midway (which would fail with BUSY).
    public static func openPool(path: String, options: SQLiteOptions) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(options.busyTimeout.timeInterval)
        let pool = try DatabasePool(path: path, configuration: configuration)
        // Set after the pool opens, not in prepareDatabase: DatabasePool switches its writer to WAL
        // after prepareDatabase runs, and that switch sets synchronous = NORMAL, which would leave
        // `full` silently unapplied (commits not durable against power loss before ingest answers).
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(options.synchronous.rawValue)") }
        return pool
    }
}

/// What `SQLiteSchema.migrate` did.
public struct MigrationReport: Sendable, Hashable {
    public var applied: [String]
    public var alreadyApplied: [String]
}

/// Why a database cannot be used as it is. Each message says what to do.
public enum SQLiteSchemaError: Error, CustomStringConvertible, Equatable {
    case missing(path: String)
    case behind(path: String, pending: [String])
    case ahead(path: String, unknown: [String])
    case corrupt(String)

    public var description: String {
        switch self {
        case .missing(let path):
            "database \(path) does not exist; create it with `hooksync migrate`"
        case .behind(let path, let pending):
            "database \(path) lacks migrations \(pending.joined(separator: ", ")); apply them with `hooksync migrate`"
        case .ahead(let path, let unknown):
            "database \(path) has migrations this hooksync does not know (\(unknown.joined(separator: ", "))); it was written by a newer version: run that version"
        case .corrupt(let detail):
            "the database holds data this hooksync cannot read: \(detail)"
        }
    }
}
