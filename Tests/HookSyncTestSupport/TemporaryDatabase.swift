public import Foundation
public import HookSyncCore
public import HookSyncSQLite

/// A migrated database file in a fresh temporary folder, removed when the value is released.
public final class TemporaryDatabase: Sendable {
    public let folder: URL
    public let path: String
    public let clock: ManualWallClock
    public let store: SQLiteQueueStore

    public init(options: SQLiteOptions = SQLiteOptions(synchronous: .normal)) throws {
        folder = FileManager.default.temporaryDirectory.appending(path: "hooksync-test-\(UUID().uuidString)")
        path = folder.appending(path: "queue.sqlite").path
        clock = ManualWallClock()
        _ = try SQLiteSchema.migrate(path: path, options: options)
        store = try SQLiteQueueStore.open(path: path, options: options, clock: clock)
    }

    deinit {
        try? store.close()
        try? FileManager.default.removeItem(at: folder)
    }

    public func envelope(
        _ id: String, _ action: EventAction = .update, type: String = "invoice", source: String = "precoro",
        delivery: String? = nil, extras: [String: String] = [:]
    ) -> EventEnvelope {
        EventEnvelope(
            key: EntityKey(source: source, type: type, id: id), action: action, deliveryID: delivery,
            receivedAt: clock.now, extras: extras,
            raw: RawRequest(method: "POST", path: "/hooks/\(source)", body: Data("{\"id\":\"\(id)\"}".utf8)))
    }
}
