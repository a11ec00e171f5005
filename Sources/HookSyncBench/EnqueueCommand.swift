import Foundation
import HookSyncCore
import HookSyncSQLite

/// Fills a queue with one event per entity, so a worker benchmark starts with N units of work.
enum EnqueueCommand {
    static func run(database: String, _ options: [String: String]) async throws {
        guard let source = options["--source"], let type = options["--type"] else { HookSyncBench.fail("enqueue needs --source and --type") }
        let count = options.int("--count", default: 100_000)
        let store = try SQLiteQueueStore.open(path: database, options: SQLiteOptions(synchronous: .normal))
        let now = Date()
        for start in stride(from: 1, through: count, by: 500) {
            let batch = (start...min(start + 499, count)).map { id in
                EventEnvelope(key: EntityKey(source: source, type: type, id: String(id)), action: .update, deliveryID: "bench-\(id)", receivedAt: now)
            }
            _ = try await store.enqueue(batch)
        }
        try store.close()
        print("enqueued \(count) events for \(source)/\(type)")
    }
}
