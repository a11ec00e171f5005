import Foundation
public import HookSyncConfig
public import HookSyncCore
public import HookSyncSQLite

/// A loaded configuration and the queue it points at: what every command starts from.
///
/// ```swift
/// let workspace = try Workspace.load(configPath: "hooksync.yaml", environment: ProcessInfo.processInfo.environment)
/// let status = try await workspace.openStore().status()
/// ```
public struct Workspace: Sendable {
    public var configPath: String
    public var config: HookSyncConfiguration

    public init(configPath: String, config: HookSyncConfiguration) {
        self.configPath = configPath
        self.config = config
    }

    /// `secretVariables: .mayBeUnset` for commands that never read a secret, so they run in a shell
    /// that does not hold the credentials; `.outboundRequired` for those that call providers only.
    public static func load(
        configPath: String, environment: [String: String], secretVariables: ConfigLoader.SecretVariables = .required
    ) throws -> Workspace {
        let loader = ConfigLoader(environment: environment, secretVariables: secretVariables)
        return Workspace(configPath: configPath, config: try loader.load(path: configPath))
    }

    public var sqliteOptions: SQLiteOptions {
        SQLiteOptions(
            synchronous: config.queue.synchronous == .full ? .full : .normal,
            busyTimeout: config.queue.busyTimeout)
    }

    /// Opens the queue, refusing a missing or out-of-date database with the command that fixes it.
    public func openStore(clock: any WallClock = SystemWallClock()) throws -> SQLiteQueueStore {
        do {
            return try SQLiteQueueStore.open(path: config.database, options: sqliteOptions, clock: clock)
        } catch let error as SQLiteSchemaError {
            throw WorkspaceError.database(error, configPath: configPath)
        }
    }

    public func migrate() throws -> MigrationReport {
        try SQLiteSchema.migrate(path: config.database, options: sqliteOptions)
    }
}

/// A database problem, phrased with the exact command to run for this config file.
public enum WorkspaceError: Error, CustomStringConvertible {
    case database(SQLiteSchemaError, configPath: String)

    public var description: String {
        switch self {
        case .database(let error, let configPath):
            error.description.replacingOccurrences(of: "`hooksync migrate`", with: "`hooksync migrate --config \(configPath)`")
        }
    }
}
