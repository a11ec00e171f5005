import Foundation
import GRDB
import HookSyncSQLite
import HookSyncTestSupport
import Testing

/// Several real processes on one database file: the guarantees that only hold if SQLite's locking,
/// the busy timeout and the claim statement work together.
@Suite("Queue across processes")
struct MultiProcessQueueTests {
    @Test func twoEnqueuersAndTwoWorkersLoseNothingAndNeverShareAnEntity() async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "hooksync-mp-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appending(path: "queue.sqlite").path
        _ = try SQLiteSchema.migrate(path: database)
        let stopFile = folder.appending(path: "enqueuers-done").path
        let eventsPerEnqueuer = 10_000, entities = 2_000, shared = 1_000

        let workers = try (1...2).map { n in
            try ChildProcess.start(QueueStress.path, [
                "work", database, "--owner", "worker-\(n)",
                "--log", folder.appending(path: "lease-\(n).log").path, "--stop-file", stopFile,
            ])
        }
        let enqueuers = try (1...2).map { n in
            try ChildProcess.start(QueueStress.path, [
                "enqueue", database, "--seed", "\(n)", "--events", "\(eventsPerEnqueuer)",
                "--entities", "\(entities)", "--shared", "\(shared)",
            ])
        }
        var accepted = 0, duplicates = 0
        for enqueuer in enqueuers {
            let result = try await enqueuer.wait(timeout: .seconds(120))
            #expect(result.status == 0, "enqueuer failed: \(result.standardError)")
            let words = result.standardOutput.split(whereSeparator: \.isWhitespace)
            accepted += Int(words[safe: 1] ?? "") ?? 0
            duplicates += Int(words[safe: 3] ?? "") ?? 0
        }
        #expect(FileManager.default.createFile(atPath: stopFile, contents: nil))
        for worker in workers {
            let result = try await worker.wait(timeout: .seconds(120))
            #expect(result.status == 0, "worker failed: \(result.standardError)")
            #expect(!result.standardError.localizedCaseInsensitiveContains("busy"))
        }

        // Each shared delivery was accepted exactly once, whichever process won the race.
        #expect(accepted + duplicates == 2 * eventsPerEnqueuer)
        #expect(duplicates == shared)

        let totalAccepted = accepted
        let queue = try DatabaseQueue(path: database)
        try await queue.read { db in
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM event_log") == totalAccepted)
            // Everything was worked off: nothing pending, held or dead.
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM work_item WHERE state NOT IN ('done', 'merged')") == 0)
            // No lost update: every event was folded into a work item of its own entity, and every
            // item is done or was merged into one that is. So each entity's last event was followed
            // by a claim of the item holding it, and that claim completed.
            #expect(try Int.fetchOne(db, sql: """
                SELECT count(*) FROM event_log AS e
                LEFT JOIN work_item AS w ON w.id = e.work_item_id
                LEFT JOIN entity ON entity.id = w.entity
                WHERE w.id IS NULL OR entity.entity_id IS NOT e.entity_id OR entity.source IS NOT e.source
                """) == 0)
            #expect(try Int.fetchOne(db, sql: """
                SELECT count(*) FROM work_item AS m LEFT JOIN work_item AS t ON t.id = m.merged_into
                WHERE m.state = 'merged' AND t.id IS NULL
                """) == 0)
            let doneItems = try Int.fetchOne(db, sql: "SELECT count(*) FROM work_item WHERE state = 'done'") ?? 0
            #expect(doneItems >= entities - 10, "every entity was synced at least once")
            #expect(doneItems < totalAccepted, "coalescing merged some events")
        }

        // No two holds of one entity overlapped, across both workers.
        var holds: [String: [(owner: String, item: Int64, from: Int64, to: Int64)]] = [:]
        for n in 1...2 {
            let text = try String(contentsOf: folder.appending(path: "lease-\(n).log"), encoding: .utf8)
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ")
                holds[String(fields[2]), default: []].append((String(fields[0]), Int64(fields[1])!, Int64(fields[3])!, Int64(fields[4])!))
            }
        }
        let completions = holds.values.reduce(0) { $0 + $1.count }
        #expect(completions == (try await queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM work_item WHERE state = 'done'") }))
        #expect(Set(holds.values.flatMap { $0.map(\.owner) }).count == 2, "both workers took part")
        var overlaps: [String] = []
        for (entity, entityHolds) in holds {
            let sorted = entityHolds.sorted { $0.from < $1.from }
            for (earlier, later) in zip(sorted, sorted.dropFirst()) where later.from < earlier.to {
                overlaps.append("entity \(entity): #\(earlier.item) (\(earlier.owner)) and #\(later.item) (\(later.owner))")
            }
        }
        #expect(overlaps.isEmpty, "\(overlaps.prefix(5))")
    }
}

enum QueueStress {
    /// The QueueStress executable, built beside this test bundle.
    static var path: String { BuildProducts.executable("QueueStress") }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
