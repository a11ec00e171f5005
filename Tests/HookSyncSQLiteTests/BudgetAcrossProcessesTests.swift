import Foundation
import GRDB
import HookSyncCore
import HookSyncSQLite
import HookSyncTestSupport
import Testing

/// The budget shared by real processes on one database file: what makes several workers, reconciles
/// and resyncs together keep a provider's limits.
@Suite("Budget across processes")
struct BudgetAcrossProcessesTests {
    @Test func twoProcessesTogetherNeverExceedAWindowOrTheParallelLimit() async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "hooksync-budget-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appending(path: "queue.sqlite").path
        _ = try SQLiteSchema.migrate(path: database)
        // The day's window keeps every grant in the log, so the whole run can be checked.
        let perSecond = 5, parallel = 2, millis = 3_000
        let processes = try (1...2).map { n in
            try ChildProcess.start(QueueStress.path, [
                "budget", database, "--holder", "p\(n)", "--limits", "\(perSecond)/1s,100000/1d", "--parallel", "\(parallel)",
                "--millis", "\(millis)", "--log", folder.appending(path: "grants-\(n).log").path,
            ])
        }
        var granted: [Int] = []
        for process in processes {
            let result = try await process.wait(timeout: .seconds(60))
            #expect(result.status == 0, "budget process failed: \(result.standardError)")
            granted.append(Int(result.standardOutput.split(whereSeparator: \.isWhitespace)[safe: 1] ?? "") ?? 0)
        }
        #expect(granted.allSatisfy { $0 > 0 }, "both processes were granted requests: \(granted)")

        let times = try await DatabaseQueue(path: database).read { db in
            try Int64.fetchAll(db, sql: "SELECT granted_at FROM budget_grant WHERE source = 'stress' ORDER BY seq")
        }
        #expect(times.count == granted.reduce(0, +))
        #expect(times.count >= perSecond * 2, "the window was used, not starved: \(times.count)")
        #expect(times.count <= perSecond * (millis / 1_000 + 1))
        // Sliding: any N+1 consecutive grants span at least the window.
        let tooClose = zip(times, times.dropFirst(perSecond)).filter { $1 - $0 < 1_000 }
        #expect(tooClose.isEmpty, "\(perSecond + 1) grants within 1 s: \(tooClose.prefix(3))")

        // Each logged interval lies inside a held slot: never more than `parallel` overlap.
        var edges: [(at: Int64, delta: Int)] = []
        for n in 1...2 {
            for line in try String(contentsOf: folder.appending(path: "grants-\(n).log"), encoding: .utf8).split(separator: "\n") {
                let fields = line.split(separator: " ")
                edges.append((Int64(fields[1])!, 1))
                edges.append((Int64(fields[2])!, -1))
            }
        }
        var held = 0, mostHeld = 0
        for edge in edges.sorted(by: { ($0.at, $0.delta) < ($1.at, $1.delta) }) {
            held += edge.delta
            mostHeld = max(mostHeld, held)
        }
        #expect(mostHeld <= parallel, "\(mostHeld) slots held at once")
    }

    @Test func aPauseRecordedByOneProcessStopsTheOthers() async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "hooksync-budget-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appending(path: "queue.sqlite").path
        _ = try SQLiteSchema.migrate(path: database)
        let store = try SQLiteQueueStore.open(path: database)
        defer { try? store.close() }
        let generous = SourceBudget(windows: [BudgetWindow(requests: 1_000, per: .seconds(1))], maxParallel: 10)

        let pauser = try ChildProcess.start(QueueStress.path, ["pause", database, "--source", "stress", "--millis", "60000", "--reason", "Daily limiter"])
        #expect(try await pauser.wait(timeout: .seconds(30)).status == 0)

        guard case .refused(.paused(let until, let reason)) = try await store.acquire(
            source: "stress", budget: generous, holder: "test", slotExpiry: .seconds(10), clock: SystemWallClock())
        else { Issue.record("this process was granted a request while another had paused the source"); return }
        #expect(reason == "Daily limiter")
        #expect(until.timeIntervalSinceNow > 50)

        let asker = try ChildProcess.start(QueueStress.path, [
            "budget", database, "--holder", "other", "--limits", "1000/1s", "--parallel", "10", "--millis", "300",
            "--log", folder.appending(path: "grants.log").path,
        ])
        let result = try await asker.wait(timeout: .seconds(30))
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.hasPrefix("granted 0 "), "\(result.standardOutput)")
    }
}
