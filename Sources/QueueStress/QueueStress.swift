import Foundation
import HookSyncCore
import HookSyncSQLite

// A process that hammers one queue file, for the multi-process tests (Tests/HookSyncSQLiteTests/
// MultiProcessQueueTests.swift). Two roles:
//
//   QueueStress enqueue DB --seed N --events N --entities N [--shared N]
//       Enqueues events in random batches of 1...20 over entity ids 0..<entities. Every event has a
//       delivery id; the first --shared of them are named the same in every enqueuer, so concurrent
//       enqueuers race on the same deliveries and exactly one copy of each may be accepted.
//       Prints "accepted A duplicates D" at the end.
//
//   QueueStress work DB --owner NAME --log FILE --stop-file FILE
//       Claims batches of up to 16 and completes them one by one, after a short random pause, until
//       the stop file exists and a claim comes back empty. Appends one lease-log line per item:
//       "<owner> <item id> <entity> <ns after claim returned> <ns before complete was called>".
//       The interval lies inside the real lease, so overlapping intervals prove a double hold.
//
//   QueueStress budget DB --holder NAME --limits "5/1s,100000/1d" --parallel N --millis N --log FILE
//       Asks the budget of source "stress" for requests for --millis, sleeping until the refusal's
//       time when refused, and holds each granted slot 1...20 ms (1...--hold-ms; 0 releases at once). Appends one line per grant:
//       "<holder> <ns after acquire returned> <ns before release was called>"; the interval lies
//       inside the slot's hold, so more than --parallel overlapping intervals prove a double grant.
//       Prints "granted G refused R acquire_us U" (the mean time one acquisition took).
//
//   QueueStress pause DB --source NAME --millis N --reason TEXT
//       Pauses the source's budget for --millis from now, as a worker does after a 429.
//
// Any error, SQLITE_BUSY included, is printed to stderr and exits 1.

@main
struct QueueStress {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            guard arguments.count >= 2 else { throw UsageError() }
            // `--synchronous full` measures a budget acquisition as a production queue commits it.
            let synchronous: SQLiteOptions.Synchronous = Options(arguments.dropFirst(2)).string("--synchronous") == "full" ? .full : .normal
            let store = try SQLiteQueueStore.open(
                path: arguments[1], options: SQLiteOptions(synchronous: synchronous, busyTimeout: .seconds(30)))
            let options = Options(arguments.dropFirst(2))
            switch arguments[0] {
            case "enqueue": try await enqueue(store, options)
            case "work": try await work(store, options)
            case "budget": try await budget(store, options)
            case "pause":
                try await store.pause(
                    source: options.string("--source"), until: Date().addingTimeInterval(Double(options.int("--millis")) / 1000),
                    reason: options.string("--reason"))
            default: throw UsageError()
            }
        } catch {
            FileHandle.standardError.write(Data("QueueStress \(arguments.first ?? ""): \(error)\n".utf8))
            exit(1)
        }
    }

    static func enqueue(_ store: SQLiteQueueStore, _ options: Options) async throws {
        var random = SeededGenerator(seed: UInt64(options.int("--seed")))
        let events = options.int("--events"), entities = options.int("--entities"), shared = options.int("--shared", 0)
        let seed = options.int("--seed")
        var sent = 0, accepted = 0, duplicates = 0
        while sent < events {
            let size = min(events - sent, Int(random.next() % 20) + 1)
            let batch = (sent..<sent + size).map { n in
                EventEnvelope(
                    key: EntityKey(source: "stress", type: "entity", id: String(random.next() % UInt64(entities))),
                    action: [.create, .update, .delete][Int(random.next() % 3)],
                    deliveryID: n < shared ? "shared-\(n)" : "s\(seed)-\(n)",
                    receivedAt: Date())
            }
            let receipt = try await store.enqueue(batch)
            accepted += receipt.accepted
            duplicates += receipt.duplicates
            sent += size
        }
        print("accepted \(accepted) duplicates \(duplicates)")
    }

    static func work(_ store: SQLiteQueueStore, _ options: Options) async throws {
        let owner = options.string("--owner"), stopFile = options.string("--stop-file")
        let log = try LineLog(path: options.string("--log"))
        var random = SeededGenerator(seed: owner.utf8.reduce(UInt64(1469598103934665603)) { ($0 ^ UInt64($1)) &* 1099511628211 })
        while true {
            let items = try await store.claim(limit: 16, leaseDuration: .seconds(60), owner: owner)
            let claimedAt = wallNanoseconds()
            if items.isEmpty {
                if FileManager.default.fileExists(atPath: stopFile) { break }
                try await Task.sleep(for: .milliseconds(2))
                continue
            }
            for item in items {
                if random.next() % 4 == 0 { try await Task.sleep(for: .microseconds(Int(random.next() % 500))) }
                guard let lease = item.lease else { throw StressFailure("claimed item #\(item.id) has no lease") }
                log.append("\(owner) \(item.id) \(item.key.id) \(claimedAt) \(wallNanoseconds())")
                let lost = try await store.complete([lease])
                guard lost.isEmpty else { throw StressFailure("lost the lease of #\(item.id) within 60 s") }
            }
        }
        try log.close()
    }

    static func budget(_ store: SQLiteQueueStore, _ options: Options) async throws {
        let holder = options.string("--holder")
        let budget = SourceBudget(windows: SourceBudget.parseWindows(options.string("--limits")), maxParallel: options.int("--parallel", 1))
        let log = try LineLog(path: options.string("--log"))
        var random = SeededGenerator(seed: holder.utf8.reduce(UInt64(1469598103934665603)) { ($0 ^ UInt64($1)) &* 1099511628211 })
        let end = Date().addingTimeInterval(Double(options.int("--millis")) / 1000)
        var granted = 0, refused = 0
        var asking = Duration.zero
        while Date() < end {
            let asked = ContinuousClock.now
            let admission = try await store.acquire(source: "stress", budget: budget, holder: holder, slotExpiry: .seconds(30), clock: SystemWallClock())
            asking += ContinuousClock.now - asked
            switch admission {
            case .granted(let slot):
                granted += 1
                let grantedAt = wallNanoseconds()
                let hold = options.int("--hold-ms", 20)
                if hold > 0 { try await Task.sleep(for: .milliseconds(Int(random.next() % UInt64(hold)) + 1)) }
                log.append("\(holder) \(grantedAt) \(wallNanoseconds())")
                try await store.release([slot])
            case .refused(let refusal):
                refused += 1
                let wait = refusal.until.timeIntervalSinceNow
                try await Task.sleep(for: .milliseconds(Int(max(1, min(wait * 1000, 50)))))
            }
        }
        try log.close()
        let microseconds = asking.timeInterval * 1_000_000 / Double(max(1, granted + refused))
        print("granted \(granted) refused \(refused) acquire_us \(Int(microseconds))")
    }

    static func wallNanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}

struct Options {
    var values: [String: String] = [:]

    init(_ arguments: ArraySlice<String>) {
        var iterator = arguments.makeIterator()
        while let name = iterator.next() { values[name] = iterator.next() }
    }

    func string(_ name: String) -> String { values[name] ?? "" }
    func int(_ name: String, _ fallback: Int = 0) -> Int { values[name].flatMap(Int.init) ?? fallback }
}

struct UsageError: Error, CustomStringConvertible {
    var description: String { "usage: QueueStress enqueue|work|budget|pause DB [options]; see the comment in QueueStress.swift" }
}

struct StressFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Buffered appends to a file, written out at close.
final class LineLog {
    let handle: FileHandle
    var buffer = ""

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else { throw StressFailure("cannot write \(path)") }
        self.handle = handle
    }

    func append(_ line: String) { buffer += line + "\n" }

    func close() throws {
        try handle.write(contentsOf: Data(buffer.utf8))
        try handle.close()
    }
}
