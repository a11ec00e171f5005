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
            ingest: { listen: "127.0.0.1:\(port)", header_timeout: 3s, body_timeout: 1s, idle_timeout: 1s }
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

    /// A full disk, for real: the database lives on a small tmpfs that a filler file fills. Every
    /// delivery that cannot be stored (event or quarantine) gets 503 with an error, /readyz turns
    /// unready, and both recover once there is room. Mounting needs root; elsewhere the test is skipped.
    @Test(.enabled(if: Self.canMountTmpfs, "mounts a tmpfs for the full disk: needs root"))
    func aFullDiskIs503ForEveryWriteAndUnreadyUntilThereIsRoom() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let disk = folder.appending(path: "disk")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        #expect(Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", disk.path]) == 0)
        defer { _ = Self.run("/bin/umount", ["-l", disk.path]) }
        try """
            database: ./disk/queue.sqlite
            ingest: { listen: "127.0.0.1:\(port)" }
            sources:
              - { name: precoro, kind: precoro, webhook_token: "${TEST_TOKEN}", api: { email: e@example.com, token: t } }
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let ingest = try await startIngest()
        defer { ingest.kill(SIGKILL) }
        let hook = "/hooks/precoro?token=process-test-token"
        #expect(try await send(path: hook, body: #"{"id": 1, "type": 3, "action": 1}"#) == .ok)

        let filler = disk.appending(path: "filler")
        #expect(FileManager.default.createFile(atPath: filler.path, contents: nil))
        let handle = try FileHandle(forWritingTo: filler)
        let chunk = Data(count: 64 * 1024)
        while (try? handle.write(contentsOf: chunk)) != nil {}
        try? handle.close()

        // Events and quarantined deliveries alike, until the WAL's free pages are used up.
        var answers: [(HTTPResponse.Status, String)] = []
        for id in 2..<200 {
            let body = id % 2 == 0 ? #"{"id": \#(id), "type": 3, "action": 1, "pad": "\#(String(repeating: "x", count: 2000))"}"# : "not json \(id)"
            let answer = try await exchange(path: hook, body: body)
            answers.append(answer)
            if answer.0 == .serviceUnavailable && answers.filter({ $0.0 == .serviceUnavailable }).count >= 4 { break }
        }
        let refused = answers.filter { $0.0 == .serviceUnavailable }
        #expect(refused.count >= 4, "a full disk refuses writes: \(answers.map(\.0.code))")
        #expect(refused.allSatisfy { json($0.1)["error"] != nil }, "\(refused.map(\.1))")
        #expect(answers.allSatisfy { $0.0 == .ok || $0.0 == .serviceUnavailable }, "\(answers.map(\.0.code))")
        #expect(try await send(path: "/readyz", method: .get) == .serviceUnavailable)

        try FileManager.default.removeItem(at: filler)
        #expect(try await send(path: hook, body: #"{"id": 1000, "type": 3, "action": 1}"#) == .ok)
        #expect(try await send(path: "/readyz", method: .get) == .ok)
    }

    func exchange(path: String, body: String) async throws -> (HTTPResponse.Status, String) {
        let client = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(30)))
        client.connect()
        defer { Task { try? await client.shutdown() } }
        let response = try await client.execute(.init(path, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)))
        return (response.status, response.body.map { String(buffer: $0) } ?? "")
    }

    static let canMountTmpfs: Bool = {
        guard geteuid() == 0, let probe = try? makeTemporaryFolder("hooksync-tmpfs-probe") else { return false }
        defer { try? FileManager.default.removeItem(at: probe) }
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe.path]) == 0 else { return false }
        _ = run("/bin/umount", [probe.path])
        return true
    }()

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
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
