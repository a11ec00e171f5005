import Foundation
import HookSyncCore
import HookSyncSQLite
import HookSyncSimulator
import HookSyncTestSupport
import Hummingbird
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
                  rate_limit: "100000/1s"
                  burst: 100000
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
            // Both processes up and polling before work arrives, so both take part.
            try await Task.sleep(for: .seconds(1))

            // Events keep arriving while fetches of the same entities are in flight, so each entity
            // has a pending item that the other process would take if the queue let it.
            for _ in 0..<6 {
                _ = try await queue.enqueue((1...entities).map { event(customer($0)) })
                try await Task.sleep(for: .milliseconds(60))
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
            // Both processes did work: the second one was not idle while the first did everything.
            #expect(simulator.peakConcurrency(.economic) > 8, "one process runs at most 8 fetches at once")
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
            try """
                database: ./queue.sqlite
                sources:
                  - name: economic
                    kind: economic
                    webhook_token: unused
                    api: { base_url: "http://127.0.0.1:\(port)/economic", app_secret_token: a, agreement_grant_token: g }
                    reconcile: { types: [customer] }
                """.write(toFile: config, atomically: true, encoding: .utf8)
            _ = try await ChildProcess.start(hooksync, ["migrate", "--config", config], environment: environment).wait(timeout: .seconds(30))

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
}
