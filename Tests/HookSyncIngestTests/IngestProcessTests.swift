import Foundation
import GRDB
import HookSyncTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

/// `hooksync ingest` as a separate process: what survives kill -9, and how it stops on SIGTERM.
@Suite("Ingest as a process", .serialized)
struct IngestProcessTests {
    let folder: URL
    let config: String
    let port: Int

    init() throws {
        folder = try makeTemporaryFolder("hooksync-ingest-process")
        port = try freeLoopbackPort()
        config = folder.appending(path: "hooksync.yaml").path
        try """
            database: ./queue.sqlite
            ingest: { listen: "127.0.0.1:\(port)" }
            sources:
              - { name: precoro, kind: precoro, webhook_token: "${TEST_TOKEN}", api: { email: e@example.com, token: t } }
            """.write(toFile: config, atomically: true, encoding: .utf8)
    }

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["TEST_TOKEN"] = "process-test-token"
        environment["LOG_LEVEL"] = "warning"
        return environment
    }

    func startIngest() async throws -> ChildProcess {
        let hooksync = BuildProducts.executable("hooksync")
        let migrate = try await ChildProcess.start(hooksync, ["migrate", "--config", config], environment: environment).wait(timeout: .seconds(30))
        #expect(migrate.status == 0, "\(migrate.standardError)")
        let ingest = try ChildProcess.start(hooksync, ["ingest", "--config", config], environment: environment)
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if (try? await send(path: "/healthz", method: .get)) == .ok { return ingest }
            try await Task.sleep(for: .milliseconds(50))
        }
        ingest.kill(SIGKILL)
        throw ChildProcessTimeout(command: "hooksync ingest (never became healthy)", timeout: .seconds(60))
    }

    func send(path: String, method: HTTPRequest.Method = .post, body: String = "") async throws -> HTTPResponse.Status {
        let client = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(30)))
        client.connect()
        defer { Task { try? await client.shutdown() } }
        return try await client.execute(.init(path, method: method, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))).status
    }

    /// Senders each POST distinct Precoro ids over one connection until stopped; returns the ids answered 200.
    /// `acknowledgements` counts them as they come.
    func load(senders: Int, counting acknowledgements: Counter, until stop: @escaping @Sendable () -> Bool) async -> [Int] {
        await withTaskGroup(of: [Int].self) { group in
            for sender in 0..<senders {
                group.addTask {
                    let client = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(30)))
                    client.connect()
                    var acknowledged: [Int] = []
                    var n = 0
                    while !stop() {
                        let id = sender * 1_000_000 + n
                        n += 1
                        let request = TestClient.Request("/hooks/precoro?token=process-test-token", method: .post,
                            headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"id": \#(id), "type": 3, "action": 1}"#))
                        guard let response = try? await client.execute(request) else { break }
                        if response.status == .ok {
                            acknowledged.append(id)
                            acknowledgements.increment()
                        }
                    }
                    try? await client.shutdown()
                    return acknowledged
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
    }

    /// Loads the server, sends it `signal` once `before` requests have been acknowledged (so the
    /// signal lands under load however slow the machine), keeps sending for `grace` more, then stops.
    func load(
        senders: Int, signalling ingest: ChildProcess, _ signal: Int32, afterAcknowledging before: Int, thenSendFor grace: Duration = .zero
    ) async throws -> [Int] {
        let stopped = ManagedFlag()
        let acknowledgements = Counter()
        let signaller = Task {
            defer { stopped.set() }
            try await waitUntil("\(before) requests are acknowledged", timeout: .seconds(30)) { acknowledgements.value >= before }
            ingest.kill(signal)
            try await Task.sleep(for: grace)
        }
        let acknowledged = await load(senders: senders, counting: acknowledgements, until: { stopped.isSet })
        try await signaller.value
        return acknowledged
    }

    func storedEntityIDs() throws -> Set<Int> {
        let queue = try DatabaseQueue(path: folder.appending(path: "queue.sqlite").path)
        defer { try? queue.close() }
        return Set(try queue.read { db in try String.fetchAll(db, sql: "SELECT entity_id FROM event_log") }.compactMap(Int.init))
    }

    @Test func everyAcknowledgedRequestSurvivesKillNine() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let ingest = try await startIngest()
        let acknowledged = try await load(senders: 8, signalling: ingest, SIGKILL, afterAcknowledging: 200)
        _ = try await ingest.wait(timeout: .seconds(60))
        #expect(acknowledged.count >= 200, "the load reached the server before the kill")

        let stored = try storedEntityIDs()
        let lost = Set(acknowledged).subtracting(stored)
        #expect(lost.isEmpty, "\(lost.count) acknowledged requests missing after kill -9")

        // The database opens cleanly after the crash and ingest serves again.
        let restarted = try await startIngest()
        #expect(try await send(path: "/readyz", method: .get) == .ok)
        restarted.kill(SIGTERM)
        #expect(try await restarted.wait(timeout: .seconds(60)).status == 0)
    }

    @Test func sigtermFinishesInFlightRequestsAndExitsZero() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let ingest = try await startIngest()
        let acknowledged = try await load(senders: 4, signalling: ingest, SIGTERM, afterAcknowledging: 100, thenSendFor: .milliseconds(300))
        let result = try await ingest.wait(timeout: .seconds(60))
        #expect(result.status == 0, "exit status \(result.status): \(result.standardError)")
        #expect(Set(acknowledged).isSubset(of: try storedEntityIDs()))
        #expect(!acknowledged.isEmpty)
    }

    /// The deadlines and early refusals reach the real process from its config file: a connection
    /// that only opens, one whose head never ends, and many wrong-token senders that declare bodies
    /// but never send them are all cut off, and the process keeps serving.
    @Test func slowAndUnauthenticatedConnectionsAreCutOffByTheProcess() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
            database: ./queue.sqlite
            ingest: { listen: "127.0.0.1:\(port)", header_timeout: 1s, body_timeout: 1s, idle_timeout: 1s }
            sources:
              - { name: precoro, kind: precoro, webhook_token: "${TEST_TOKEN}", api: { email: e@example.com, token: t } }
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let ingest = try await startIngest()
        defer { ingest.kill(SIGKILL) }

        let silent = try RawConnection(port: port)
        let partial = try RawConnection(port: port)
        await partial.send("POST /hooks/precoro?token=process-test-token HTTP/1.1\r\nHost: x\r\n")
        var strangers: [RawConnection] = []
        for _ in 0..<50 {
            let stranger = try RawConnection(port: port)
            await stranger.send("POST /hooks/precoro?token=wrong HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n")
            strangers.append(stranger)
        }
        for stranger in strangers {
            #expect(await stranger.response(within: .seconds(10))?.status == 401)
            #expect(await stranger.waitForClose(within: .seconds(10)))
        }
        #expect(await partial.response(within: .seconds(10))?.status == 408)
        #expect(await silent.waitForClose(within: .seconds(10)))
        #expect(try await send(path: "/hooks/precoro?token=process-test-token", body: #"{"id": 1, "type": 3, "action": 1}"#) == .ok)
    }
}

/// A count several tasks add to.
final class Counter: Sendable {
    private let storage = Mutex(0)
    var value: Int { storage.withLock { $0 } }
    func increment() { storage.withLock { $0 += 1 } }
}

/// A flag set once from one task and read from others.
final class ManagedFlag: Sendable {
    private let storage = Mutex(false)
    var isSet: Bool { storage.withLock { $0 } }
    func set() { storage.withLock { $0 = true } }
}
