import Foundation
import GRDB
import HookSyncCore
import HookSyncSQLite

// Queue throughput beside a raw-SQLite baseline measured in the same run, on the same disk, with the
// same PRAGMAs (WAL, synchronous as given), so the ratio means something on a noisy machine.
// Run through scripts/bench-queue (release build). Prints a markdown table.
//
//   HookSyncBench queue [--events 100000] [--batch 100] [--entities 10000] [--claim-batch 128] [--synchronous full|normal]

/// The queue benchmark: `HookSyncBench queue`.
enum QueueBenchmark {
    static func run(_ options: [String: String]) async throws {
        let events = Int(options["--events"] ?? "") ?? 100_000
        let batch = Int(options["--batch"] ?? "") ?? 100
        let entities = Int(options["--entities"] ?? "") ?? 10_000
        let claimBatch = Int(options["--claim-batch"] ?? "") ?? 128
        let synchronous = SQLiteOptions.Synchronous(rawValue: (options["--synchronous"] ?? "full").uppercased()) ?? .full

        let folder = FileManager.default.temporaryDirectory.appending(path: "hooksync-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let sqliteOptions = SQLiteOptions(synchronous: synchronous)

        let envelopes = makeEnvelopes(count: events, entities: entities)
        let raw = try rawInserts(envelopes, batch: batch, path: folder.appending(path: "raw.sqlite").path, options: sqliteOptions)

        let path = folder.appending(path: "queue.sqlite").path
        _ = try SQLiteSchema.migrate(path: path, options: sqliteOptions)
        let store = try SQLiteQueueStore.open(path: path, options: sqliteOptions)
        var clock = ContinuousClock.now
        for start in stride(from: 0, to: envelopes.count, by: batch) {
            _ = try await store.enqueue(Array(envelopes[start..<min(start + batch, envelopes.count)]))
        }
        let enqueueSeconds = (ContinuousClock.now - clock).timeInterval
        let enqueueRate = Double(events) / enqueueSeconds

        clock = ContinuousClock.now
        var folded = 0
        while case let count = try await store.foldQueuedEvents(), count > 0 { folded += count }
        let foldRate = Double(folded) / (ContinuousClock.now - clock).timeInterval

        clock = ContinuousClock.now
        var processed = 0
        while true {
            let claimed = try await store.claim(limit: claimBatch, leaseDuration: .seconds(60), owner: "bench")
            if claimed.isEmpty { break }
            try await store.complete(claimed.compactMap(\.lease))
            processed += claimed.count
        }
        let claimRate = Double(processed) / (ContinuousClock.now - clock).timeInterval
        try store.close()

        print("""
            | figure | value | baseline (same run) | ratio | target | met |
            |---|---|---|---|---|---|
            | batched enqueue (batch \(batch), synchronous \(synchronous.rawValue)) | \(format(enqueueRate)) events/s | raw batched INSERT \(format(raw)) rows/s | \(String(format: "%.0f%%", 100 * enqueueRate / raw)) | ≥ 50% | \(enqueueRate / raw >= 0.5 ? "yes" : "no") |
            | fold queued events into work items | \(format(foldRate)) events/s | – | – | – | – |
            | claim + complete (claim batch \(claimBatch)) | \(format(claimRate)) items/s | – | – | ≥ 20,000 items/s | \(claimRate >= 20_000 ? "yes" : "no") |

            \(events) events over \(entities) entities, folded into \(processed) work items, claimed and completed.
            The fold is the coalescing step: it runs at the start of each claim, so a worker's
            throughput in events is bounded by the fold rate and in items by claim + complete.
            """)
    }

    /// A realistic mix: every event has a delivery id and a small raw body, like a Precoro webhook.
    static func makeEnvelopes(count: Int, entities: Int) -> [EventEnvelope] {
        let now = Date()
        return (0..<count).map { n in
            let id = String((n &* 7919) % entities)
            return EventEnvelope(
                key: EntityKey(source: "precoro", type: "invoice", id: id),
                action: n % 10 == 0 ? .create : .update,
                deliveryID: "delivery-\(n)",
                receivedAt: now,
                raw: RawRequest(method: "POST", path: "/hooks/precoro", body: Data("{\"id\":\(id),\"type\":3,\"action\":1,\"idn\":\(n)}".utf8)))
        }
    }

    /// The floor any queue on SQLite pays: the same rows, in the same batches, into one table with
    /// no secondary index. Encoding the raw request is counted here too, as the queue must do it.
    static func rawInserts(_ envelopes: [EventEnvelope], batch: Int, path: String, options: SQLiteOptions) throws -> Double {
        let pool = try SQLiteSchema.openPool(path: path, options: options)
        try pool.write { db in
            try db.execute(sql: """
                CREATE TABLE raw_event (id INTEGER PRIMARY KEY, source TEXT, entity_type TEXT, entity_id TEXT,
                    action TEXT, delivery_id TEXT, received_at INTEGER, raw_request TEXT) STRICT
                """)
        }
        let encoder = JSONEncoder()
        let start = ContinuousClock.now
        for first in stride(from: 0, to: envelopes.count, by: batch) {
            let slice = envelopes[first..<min(first + batch, envelopes.count)]
            let rows = try slice.map { envelope in
                (envelope, String(decoding: try encoder.encode(envelope.raw), as: UTF8.self))
            }
            try pool.write { db in
                let insert = try db.cachedStatement(sql: "INSERT INTO raw_event (source, entity_type, entity_id, action, delivery_id, received_at, raw_request) VALUES (?, ?, ?, ?, ?, ?, ?)")
                for (envelope, raw) in rows {
                    try insert.execute(arguments: [
                        envelope.key.source, envelope.key.type, envelope.key.id, envelope.action.rawValue,
                        envelope.deliveryID, Int64(envelope.receivedAt.timeIntervalSince1970 * 1000), raw,
                    ])
                }
            }
        }
        let rate = Double(envelopes.count) / (ContinuousClock.now - start).timeInterval
        try pool.close()
        return rate
    }

    static func format(_ rate: Double) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.maximumFractionDigits = 0
        return formatter.string(from: NSNumber(value: rate)) ?? String(Int(rate))
    }
}
