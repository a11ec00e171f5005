import Foundation
import GRDB
import HookSyncConfig
import HookSyncCore
import HookSyncIngest
import HookSyncSQLite
import HookSyncTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// While another process holds the queue's write lock, a sender waits at most `queue.busy_timeout`
/// in all, then gets a 503 it can retry: not the timeout again for every commit it queued behind.
@Suite("Ingest: waiting for another process's write lock")
struct LockWaitTests {
    let database: TemporaryDatabase
    let config: HookSyncConfiguration

    init() throws {
        database = try TemporaryDatabase(options: SQLiteOptions(synchronous: .normal, busyTimeout: .seconds(4)))
        config = try ConfigLoader(environment: [:]).parse(yaml: """
            queue: { busy_timeout: 4s }
            sources:
              - { name: precoro, kind: precoro, webhook_token: tok-precoro-0123456789, api: { email: e@example.com, token: t } }
            """)
    }

    /// Holds the write lock on a connection of its own, as another process would, until `release()`.
    final class LockHolder: Sendable {
        private let released = DispatchSemaphore(value: 0)
        private let taken = DispatchSemaphore(value: 0)

        init(path: String) throws {
            let connection = try DatabaseQueue(path: path)
            Thread { [released, taken] in
                try? connection.writeWithoutTransaction { db in
                    try db.execute(sql: "BEGIN IMMEDIATE")
                    taken.signal()
                    released.wait()
                    try db.execute(sql: "ROLLBACK")
                }
            }.start()
            taken.wait()
        }

        func release() { released.signal() }
    }

    @Test func aSenderQueuedBehindALockedCommitWaitsOneBusyTimeoutNotTwo() async throws {
        let listeners = IngestApplication(config: config, store: database.store, clock: database.clock, logger: Logger(label: "test"))
        let lock = try LockHolder(path: database.path)
        try await listeners.ingest.test(.live) { client in
            let port = try #require(client.port)
            @Sendable func send(_ id: Int) async throws -> (status: HTTPResponse.Status, body: String, waited: Duration) {
                let sender = TestClient(host: "127.0.0.1", port: port)
                sender.connect()
                defer { Task { try? await sender.shutdown() } }
                let started = ContinuousClock.now
                let response = try await sender.execute(.init(
                    "/hooks/precoro?token=tok-precoro-0123456789", method: .post, headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: #"{"id": \#(id), "type": 3, "action": 1}"#)))
                return (response.status, String(buffer: response.body ?? ByteBuffer()), ContinuousClock.now - started)
            }
            async let first = send(1)
            // The second arrives while the first's commit waits for the lock, and so queues behind it.
            try await Task.sleep(for: .milliseconds(500))
            let second = try await send(2)
            let firstAnswer = try await first
            for answer in [firstAnswer, second] {
                #expect(answer.status == .serviceUnavailable)
                #expect(json(answer.body)["error"] as? String == "could not store the delivery; retry later")
            }
            // One busy timeout is 4 s; queued behind the first commit's wait it used to be at least
            // 3.5 + 4 s. The margin is for a machine busy with the rest of the suite (5.6 s seen).
            #expect(second.waited < .milliseconds(6_750), "the second sender waited \(second.waited)")

            lock.release()
            #expect(try await send(2).status == .ok, "once the lock is free, the retry is stored")
        }
        #expect(try await database.store.status().accepted == 1, "nothing answered 503 was stored")
    }
}
