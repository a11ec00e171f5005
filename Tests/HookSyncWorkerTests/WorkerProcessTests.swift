import Foundation
import HookSyncCore
import HookSyncSQLite
import HookSyncSimulator
import HookSyncTestSupport
import Hummingbird
import Synchronization
import Testing

/// `hooksync worker` as separate processes against one database and the provider simulator over
/// loopback: what the queue promises must hold across processes, kill -9 and SIGTERM.
@Suite("Worker as a process", .serialized)
struct WorkerProcessTests {
    let folder: URL
    let config: String
    let simulator = ProviderSimulator(seed: 11)

    init() throws {
        folder = try makeTemporaryFolder("hooksync-worker-process")
        config = folder.appending(path: "hooksync.yaml").path
    }

    /// Serves the simulator on an ephemeral port for the duration of `body`, with a config whose
    /// economic source points at it.
    func withSimulator(lease: String = "2s", grace: String = "1s", _ body: () async throws -> Void) async throws {
        try await withLoopbackServer({ bound in simulator.application(onServerRunning: bound) }) { port in
            try await withConfig(port: port, lease: lease, grace: grace, body)
        }
    }

    /// Writes a config whose economic source points at the simulator on `port`, migrates, runs `body`.
    private func withConfig(port: Int, lease: String, grace: String, _ body: () async throws -> Void) async throws {
        try """
            database: ./queue.sqlite
            worker: { concurrency: 8, lease: \(lease), shutdown_grace: \(grace), backoff_base: 100ms, backoff_max: 1s }
            sources:
              - name: economic
                kind: economic
                webhook_token: unused
                api:
                  base_url: "\(SimulatedProvider.economic.baseURL(origin: "http://127.0.0.1:\(port)"))"
                  app_secret_token: economic-app
                  agreement_grant_token: economic-grant
                  limits: ["100000/1s"]
                  max_parallel: 64
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let migrate = try await ChildProcess.start(hooksync, ["migrate", "--config", config], environment: environment).wait(timeout: .seconds(30))
        try #require(migrate.status == 0, "\(migrate.standardError)")
        try await body()
    }

    var hooksync: String { BuildProducts.executable("hooksync") }

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        // Child pipes are drained only when the test waits for exit: keep the children quiet.
        environment["LOG_LEVEL"] = "warning"
        return environment
    }

    func startWorker() throws -> ChildProcess {
        try ChildProcess.start(hooksync, ["worker", "--config", config], environment: environment)
    }

    /// The queue as the test sees it, on the real clock the worker processes use.
    func openQueue() throws -> SQLiteQueueStore {
        try SQLiteQueueStore.open(path: folder.appending(path: "queue.sqlite").path, options: SQLiteOptions(synchronous: .normal))
    }

    func customer(_ id: Int) -> EntityKey { EntityKey(source: "economic", type: "customer", id: String(id)) }

    func event(_ key: EntityKey) -> EventEnvelope {
        EventEnvelope(key: key, action: .update, deliveryID: nil, receivedAt: Date(), extras: [:],
                      raw: RawRequest(method: "POST", path: "/hooks/economic/customer", body: Data()))
    }

    @Test func twoWorkerProcessesNeverFetchOneEntityAtOnce() async throws {
        try await withSimulator {
            let entities = 40
            for id in 1...entities { simulator.upsert(.economic, type: "customer", id: String(id), fields: ["name": "c\(id)"]) }
            simulator.setFaults(.economic, SimulatorFaults(latency: .milliseconds(100)))
            let queue = try openQueue()
            defer { try? queue.close() }
            let workers = try [startWorker(), startWorker()]

            // Events keep arriving while fetches of the same entities are in flight, so each entity
            // has a pending item that the other process would take if the queue let it; they go on
            // arriving until both processes have fetched at once (more than one process's 8 slots),
            // however long the second takes to start, and for six rounds at least.
            var rounds = 0
            try await waitUntil("both processes fetch at once") {
                _ = try await queue.enqueue((1...entities).map { event(customer($0)) })
                rounds += 1
                return rounds >= 6 && simulator.peakConcurrency(.economic) > 8
            }
            try await waitUntil("every item is done") {
                let work = try await queue.status().work
                return work.queued == 0 && work.pending == 0 && work.inFlight == 0
            }
            for worker in workers { worker.kill(SIGTERM) }
            for worker in workers {
                let result = try await worker.wait(timeout: .seconds(60))
                #expect(result.status == 0, "\(result.standardError)")
            }
            #expect(simulator.maxConcurrentFetchesOfAnyEntity() == 1)
            #expect(try await queue.status().work.dead == 0)
            let mirror = try MirrorStore.open(path: folder.appending(path: "mirror.sqlite").path)
            defer { try? mirror.close() }
            #expect(try await mirror.rows(source: "economic", type: "customer").count == entities)
        }
    }

    @Test func aWorkerKilledMidFetchLosesNothing() async throws {
        try await withSimulator(lease: "2s") {
            simulator.upsert(.economic, type: "customer", id: "7", fields: ["name": "Acme"])
            simulator.setFaults(.economic, SimulatorFaults(latency: .seconds(30)))
            let queue = try openQueue()
            defer { try? queue.close() }
            _ = try await queue.enqueue([event(customer(7))])

            let doomed = try startWorker()
            try await waitUntil("the first worker is fetching") { simulator.requestCount(.economic) >= 1 }
            doomed.kill(SIGKILL)
            _ = try? await doomed.wait(timeout: .seconds(5))
            let held = try #require(try await queue.workItems(for: customer(7)).last)
            #expect(held.state == .inFlight, "the dead worker's lease still holds the item")

            simulator.setFaults(.economic, .none)
            let successor = try startWorker()
            try await waitUntil("the item is done after the lease expired") {
                try await queue.workItems(for: customer(7)).last?.state == .done
            }
            successor.kill(SIGTERM)
            #expect(try await successor.wait(timeout: .seconds(60)).status == 0)
            #expect(simulator.fetchCount(.economic, type: "customer", id: "7") == 2)
            let mirror = try MirrorStore.open(path: folder.appending(path: "mirror.sqlite").path)
            defer { try? mirror.close() }
            let row = try #require(try await mirror.row(customer(7)))
            #expect(row.deleted == false)
        }
    }

    @Test func sigtermReleasesWhatIsInFlightAndExitsZero() async throws {
        try await withSimulator(lease: "30s", grace: "500ms") {
            simulator.upsert(.economic, type: "customer", id: "9", fields: ["name": "Slow"])
            simulator.setFaults(.economic, SimulatorFaults(latency: .seconds(30)))
            let queue = try openQueue()
            defer { try? queue.close() }
            _ = try await queue.enqueue([event(customer(9))])

            let worker = try startWorker()
            try await waitUntil("the worker is fetching") { simulator.requestCount(.economic) >= 1 }
            let stoppedAt = ContinuousClock.now
            worker.kill(SIGTERM)
            let result = try await worker.wait(timeout: .seconds(60))
            #expect(result.status == 0, "\(result.standardError)")
            #expect(ContinuousClock.now - stoppedAt < .seconds(5), "waits the grace, not the fetch")

            // Released, not failed: claimable again at once, with no attempt counted.
            let item = try #require(try await queue.workItems(for: customer(9)).last)
            #expect(item.state == .pending)
            #expect(item.attempts == 0)
            #expect(item.lease == nil)
            #expect(item.runAt <= Date())
        }
    }

    @Test func aResyncOfATypeTheProviderLacksSaysSoAndExitsOne() async throws {
        // A provider with no such collection answers 404, as e-conomic does for a path it lacks (the
        // simulator lists any type, so a bare router stands in for the provider here).
        try await withLoopbackServer(Router()) { port in
            try await writeConfig(listingOn: port)
            let result = try await ChildProcess.start(
                hooksync, ["resync", "--source", "economic", "--type", "custmer", "--full", "--config", config], environment: environment
            ).wait(timeout: .seconds(60))
            #expect(result.status == 1)
            #expect(result.standardError.contains(
                "economic/custmer: listing economic/custmer failed: economic: HTTP 404 for the listing of custmer: the provider has no such type, or api.base_url is wrong"),
                "\(result.standardError)")
            #expect(result.standardError.contains("(custmer is not among economic's reconcile.types: customer)"), "\(result.standardError)")
        }
    }

    @Test func aResyncStoppedByCtrlCLetsGoOfItsPassAndTheNextRunResumesIt() async throws {
        try await interruptAResync(with: SIGINT) { interrupted in
            #expect(interrupted.status == 128 + SIGINT)
            #expect(interrupted.standardError.contains("hooksync: SIGINT: stopping after the page in hand"), "\(interrupted.standardError)")
            // How many pages were committed before the signal depends on the writer's timing; what was
            // committed is what the rerun resumes from.
            #expect(interrupted.standardError.contains(" pages; the next reconcile or resync of economic/customer resumes at the last committed page"),
                    "\(interrupted.standardError)")
            let status = try await ChildProcess.start(hooksync, ["status", "--config", config], environment: environment).wait(timeout: .seconds(30))
            #expect(status.standardOutput.contains("economic/customer full interrupted"), "\(status.standardOutput)")
        }
    }

    @Test func aResyncKilledOutrightIsTakenOverAtOnceByTheNextRunOnTheSameHost() async throws {
        // The lock timeout is 5 minutes, but the holder's process is gone, which this host can tell.
        try await interruptAResync(with: SIGKILL) { killed in
            #expect(killed.status == 128 + SIGKILL || killed.status == SIGKILL)
            let status = try await ChildProcess.start(hooksync, ["status", "--config", config], environment: environment).wait(timeout: .seconds(30))
            #expect(status.standardOutput.contains("economic/customer full running (its holder \(ProcessInfo.processInfo.hostName):"), "\(status.standardOutput)")
            #expect(status.standardOutput.contains(" is gone: the next run resumes it)"), "\(status.standardOutput)")
            // Programs (`status --json`, `GET /admin/status`) are told the same.
            let json = try await ChildProcess.start(hooksync, ["status", "--json", "--config", config], environment: environment).wait(timeout: .seconds(30))
            let document = try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any]
            let passes = (document?["reconcile"] as? [String: Any])?["passes"] as? [[String: Any]] ?? []
            #expect(passes.first?["state"] as? String == "running", "\(json.standardOutput)")
            #expect(passes.first?["holder_gone"] as? Bool == true, "\(json.standardOutput)")
        }
    }

    @Test func aResyncTheWorkerIsRunningWhenItStopsIsAskedForAgainAndResumedByTheNextWorker() async throws {
        let listing = HeldEconomicListing(rows: 50, pageSize: 10, holdFrom: 20)
        try await withLoopbackServer(listing.router()) { port in
            try await writeConfig(listingOn: port)
            let store = try SQLiteQueueStore.open(path: folder.appending(path: "queue.sqlite").path)
            defer { try? store.close() }
            _ = try await store.requestResync(ResyncRequest(source: "economic", type: "customer", since: nil, full: true), now: Date())

            let worker = try ChildProcess.start(hooksync, ["worker", "--config", config], environment: environment)
            try await waitUntil("the resync waits for its fourth page") { listing.waiting >= 1 }
            try await waitUntil("three pages are committed") { try await store.recentPasses(limit: 1).first?.counts.pages == 3 }
            worker.kill(SIGTERM)
            let stopped = try await worker.wait(timeout: .seconds(30))
            #expect(stopped.status == 0, "\(stopped.standardError)")
            let status = try await ChildProcess.start(hooksync, ["status", "--config", config], environment: environment).wait(timeout: .seconds(30))
            #expect(status.standardOutput.contains("1 resync request(s) waiting for the next run"), "\(status.standardOutput)")
            #expect(status.standardOutput.contains("#1 economic/customer full interrupted"), "\(status.standardOutput)")

            listing.release()
            let offsetsBefore = listing.requestedOffsets.count
            let next = try ChildProcess.start(hooksync, ["worker", "--config", config], environment: environment)
            try await waitUntil("the resync is done") { try await store.recentPasses(limit: 1).first?.state == "succeeded" }
            next.kill(SIGTERM)
            _ = try await next.wait(timeout: .seconds(30))
            let pass = try #require(try await store.recentPasses(limit: 1).first)
            #expect(pass.id == 1, "the interrupted pass was resumed, not a new one started")
            #expect(pass.counts.listed == 50 && pass.counts.pages == 6)
            #expect((listing.requestedOffsets.dropFirst(offsetsBefore).first ?? 0) > 0, "resumed where the first worker had committed")
        }
    }

    /// A config whose economic source (reconcile.types: customer) lists from `port`, migrated.
    private func writeConfig(listingOn port: Int) async throws {
        try """
            database: ./queue.sqlite
            sources:
              - name: economic
                kind: economic
                webhook_token: unused
                api: { base_url: "http://127.0.0.1:\(port)/economic", app_secret_token: a, agreement_grant_token: g }
                reconcile: { types: [customer] }
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let migrate = try await ChildProcess.start(hooksync, ["migrate", "--config", config], environment: environment).wait(timeout: .seconds(30))
        try #require(migrate.status == 0, "\(migrate.standardError)")
    }

    /// Starts `resync --full` against a listing of 50 customers in pages of 10 that holds back its fourth
    /// request (each keyset page re-lists the second it starts at, so requests start at rows 0, 9, 18, 27), stops the process there with `signal`, checks what it left with `afterStop`, then releases
    /// the listing and checks that a second run resumes where the first had committed, not at the start.
    private func interruptAResync(with signal: Int32, afterStop: (ChildProcess.Result) async throws -> Void) async throws {
        let listing = HeldEconomicListing(rows: 50, pageSize: 10, holdFrom: 20)
        try await withLoopbackServer(listing.router()) { port in
            try await writeConfig(listingOn: port)
            let arguments = ["resync", "--source", "economic", "--type", "customer", "--full", "--config", config]

            let first = try ChildProcess.start(hooksync, arguments, environment: environment)
            try await waitUntil("the resync waits for its fourth page") { listing.waiting >= 1 }
            // Stopped once the three pages before are committed, so the rerun's counts are exact: a page
            // written but not yet recorded when a process is killed is listed again by the rerun but not
            // counted, its rows being marked as listed by the pass already.
            let store = try SQLiteQueueStore.open(path: folder.appending(path: "queue.sqlite").path)
            defer { try? store.close() }
            try await waitUntil("three pages are committed") { try await store.recentPasses(limit: 1).first?.counts.pages == 3 }
            first.kill(signal)
            try await afterStop(try await first.wait(timeout: .seconds(30)))

            listing.release()
            let offsetsBefore = listing.requestedOffsets.count
            let rerun = try await ChildProcess.start(hooksync, arguments, environment: environment).wait(timeout: .seconds(60))
            #expect(rerun.status == 0, "\(rerun.standardError)")
            #expect(rerun.standardOutput.contains("economic/customer (full, resumed): listed 50, changed 50, deleted 0"), "\(rerun.standardOutput)")
            let rerunOffsets = listing.requestedOffsets.dropFirst(offsetsBefore)
            #expect((rerunOffsets.first ?? 0) > 0, "resumed at the keyset of the last committed page, not from the start: \(rerunOffsets)")
        }
    }

}

/// An e-conomic customers listing: `rows` customers, customer n last updated at second n, served
/// `pageSize` at a time from the query's `lastUpdated$gte` keyset. A request whose first row is at
/// `holdFrom` or later waits until `release()`, so that a pass can be stopped in the middle.
final class HeldEconomicListing: Sendable {
    let rows: Int, pageSize: Int, holdFrom: Int
    static let epoch = Date(timeIntervalSince1970: 1_767_225_600)
    private let state = Mutex<(released: Bool, waiting: Int, offsets: [Int])>((false, 0, []))

    init(rows: Int, pageSize: Int, holdFrom: Int) {
        self.rows = rows
        self.pageSize = pageSize
        self.holdFrom = holdFrom
    }

    var waiting: Int { state.withLock { $0.waiting } }
    /// The index of the first row of every request, in order.
    var requestedOffsets: [Int] { state.withLock { $0.offsets } }
    func release() { state.withLock { $0.released = true } }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/economic/customers") { request, _ -> Response in
            let query = request.uri.queryParameters
            var first = 0
            if let filter = query.get("filter"), filter.hasPrefix("lastUpdated$gte:"),
               let since = ISO8601DateFormatter().date(from: String(filter.dropFirst("lastUpdated$gte:".count))) {
                first = max(0, Int(since.timeIntervalSince(Self.epoch)) - 1)
            }
            let offset = first + (query.get("skippages", as: Int.self) ?? 0) * self.pageSize
            let held = self.state.withLock { state -> Bool in
                state.offsets.append(offset)
                if offset >= self.holdFrom && !state.released { state.waiting += 1; return true }
                return false
            }
            if held { while !self.state.withLock({ $0.released }) { try await Task.sleep(for: .milliseconds(10)) } }
            let formatter = ISO8601DateFormatter()
            let page = (offset..<min(self.rows, offset + self.pageSize)).map { index in
                let number = index + 1
                let updated = formatter.string(from: Self.epoch.addingTimeInterval(Double(number)))
                return #"{"customerNumber":\#(number),"name":"Customer \#(number)","lastUpdated":"\#(updated)"}"#
            }
            let more = offset + self.pageSize < self.rows
            let body = #"{"collection":[\#(page.joined(separator: ","))],"pagination":{"results":\#(self.rows - first)\#(more ? #","nextPage":"next""# : "")}}"#
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        return router
    }
}
