import Foundation
import HookSyncConfig
import HookSyncCore
@testable import HookSyncIngest
import HookSyncSQLite
import HookSyncTestSupport
import Hummingbird
import Logging
import Testing

/// What ingest does with connections, over real sockets on loopback: deadlines, framing, the
/// parser's errors, and refusals that come before the body.
@Suite("Ingest: connections")
struct IngestConnectionTests {
    let database: TemporaryDatabase

    init() throws {
        database = try TemporaryDatabase()
    }

    static let token = "tok-precoro"
    static let event = #"{"id": 1, "type": 3, "action": 1}"#

    /// Serves ingest, with short deadlines, on an ephemeral loopback port while `body` runs.
    /// Deadlines a test does not name are long: on a machine busy with the rest of the suite, a test
    /// can take more than a second to send a head it means to send at once.
    func withIngest<Result>(
        header: String = "60s", body bodyTimeout: String = "60s", idle: String = "60s", maxConnections: Int = 512,
        _ body: (Int) async throws -> Result
    ) async throws -> Result {
        let yaml = """
            ingest:
              listen: "127.0.0.1:0"
              max_body_bytes: 2048
              header_timeout: \(header)
              body_timeout: \(bodyTimeout)
              idle_timeout: \(idle)
              max_connections: \(maxConnections)
            sources:
              - { name: precoro, kind: precoro, webhook_token: \(Self.token), api: { email: e@example.com, token: t } }
              - { name: acme, kind: standard-webhooks, signing_secrets: ["\(IngestFixture.signingSecret)"], api: { fetch_url: "http://127.0.0.1:9/{type}/{id}" } }
            """
        let config = try ConfigLoader(environment: [:]).parse(yaml: yaml)
        return try await withLoopbackServer({ bound in
            IngestApplication(config: config, store: database.store, clock: database.clock, logger: Logger(label: "test"),
                              onIngestRunning: bound).ingest
        }, body)
    }

    static func post(_ path: String = "/hooks/precoro?token=\(token)", body: String = event, extraHeaders: String = "") -> String {
        "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\(extraHeaders)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    // MARK: Item 12: framing

    @Test func anHTTP10RequestWithoutKeepAliveIsClosedAfterItsAnswer() async throws {
        try await withIngest(idle: "60s") { port in
            let connection = try RawConnection(port: port)
            await connection.send("GET /healthz HTTP/1.0\r\n\r\n")
            let response = await connection.response(within: .seconds(10))
            #expect(response?.status == 200)
            #expect(await connection.waitForClose(within: .seconds(5)), "closed after the answer, not after idle_timeout")
        }
    }

    @Test func connectionCloseAndKeepAliveAreHonoured() async throws {
        try await withIngest(idle: "60s") { port in
            let closing = try RawConnection(port: port)
            await closing.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(await closing.response(within: .seconds(10))?.headers["connection"] == "close")
            #expect(await closing.waitForClose(within: .seconds(5)))

            let keptAlive = try RawConnection(port: port)
            await keptAlive.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(await keptAlive.response(within: .seconds(10))?.status == 200)
            // Open, not merely not closed yet: a second request on it is answered.
            await keptAlive.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let answeredTwice = await keptAlive.wait(for: .seconds(10)) { data, _ in
                RawResponse(parsing: data).flatMap { RawResponse(parsing: $0.rest) }?.status == 200
            }
            #expect(answeredTwice, "HTTP/1.0 with keep-alive stays open")
        }
    }

    // MARK: Item 8: the parser's errors

    @Test func theParsersErrorsAreAnsweredAsJSON() async throws {
        try await withIngest { port in
            let longQuery = try RawConnection(port: port)
            await longQuery.send("GET /healthz?q=\(String(repeating: "a", count: 100 * 1024)) HTTP/1.1\r\nHost: x\r\n\r\n")
            let tooLong = await longQuery.response(within: .seconds(10))
            #expect(tooLong?.status == 431)
            #expect(tooLong?.headers["content-type"] == "application/json")
            #expect(tooLong?.error != nil, "\(longQuery.text.prefix(300))")

            let manyHeaders = try RawConnection(port: port)
            let headers = (0..<5_000).map { "X-H\($0): v\r\n" }.joined()
            await manyHeaders.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\(headers)\r\n")
            let tooMany = await manyHeaders.response(within: .seconds(10))
            #expect(tooMany?.status == 431 && tooMany?.error != nil)

            let utf8 = try RawConnection(port: port)
            await utf8.send("GET /hooks/präcoro HTTP/1.1\r\nHost: x\r\n\r\n")
            let malformed = await utf8.response(within: .seconds(10))
            #expect(malformed?.status == 400 && malformed?.error != nil, "\(utf8.text.prefix(300))")
            #expect(await utf8.waitForClose(within: .seconds(5)))
        }
    }

    @Test func aMalformedChunkInsideARequestIsAnsweredAsJSON() async throws {
        try await withIngest { port in
            let connection = try RawConnection(port: port)
            await connection.send("POST /hooks/precoro?token=\(Self.token) HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
            let response = await connection.response(within: .seconds(10))
            #expect(response?.status == 400 && response?.error != nil, "\(connection.text.prefix(300))")
        }
        #expect(try await database.store.status().received == 0)
    }

    @Test func connectIsRefusedWith405() async throws {
        try await withIngest { port in
            let connection = try RawConnection(port: port)
            await connection.send("CONNECT /hooks/precoro HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = await connection.response(within: .seconds(10))
            #expect(response?.status == 405 && response?.headers["allow"] == "POST", "\(connection.text.prefix(300))")
        }
    }

    // MARK: Item 3: deadlines

    @Test func anIdleConnectionIsClosed() async throws {
        try await withIngest(header: "1s", idle: "1s") { port in
            let silent = try RawConnection(port: port)
            #expect(await silent.waitForClose(within: .seconds(10)), "a connection that never sends is closed")
            #expect(silent.received.isEmpty)

            let keptAlive = try RawConnection(port: port)
            await keptAlive.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await keptAlive.response(within: .seconds(10))?.status == 200)
            #expect(await keptAlive.waitForClose(within: .seconds(10)), "closed after idle_timeout")
        }
    }

    @Test func anUnfinishedHeadIs408AndClosed() async throws {
        try await withIngest(header: "1s", idle: "60s") { port in
            let connection = try RawConnection(port: port)
            let started = ContinuousClock.now
            await connection.send("POST /hooks/precoro?token=\(Self.token) HTTP/1.1\r\nHost: x\r\n")
            let response = await connection.response(within: .seconds(10))
            #expect(response?.status == 408)
            #expect(response?.error?.contains("header_timeout") == true)
            #expect(await connection.waitForClose(within: .seconds(5)))
            #expect(ContinuousClock.now - started < .seconds(8))

            // On a kept-alive connection the deadline runs from the first byte of the next request.
            let keptAlive = try RawConnection(port: port)
            await keptAlive.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            let first = await keptAlive.response(within: .seconds(10))
            #expect(first?.status == 200)
            await keptAlive.send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
            let timedOut = await keptAlive.wait(for: .seconds(10)) { data, _ in
                RawResponse(parsing: data).flatMap { RawResponse(parsing: $0.rest) }?.status == 408
            }
            #expect(timedOut, "\(keptAlive.text)")
            #expect(await keptAlive.waitForClose(within: .seconds(5)))
        }
    }

    @Test func aBodyThatDripsIs408AndClosedAndNothingIsStored() async throws {
        try await withIngest(body: "2s", idle: "60s") { port in
            let connection = try RawConnection(port: port)
            let body = Self.event
            await connection.send("POST /hooks/precoro?token=\(Self.token) HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
            let started = ContinuousClock.now
            for byte in body.utf8.prefix(10) {
                guard await connection.send(Data([byte])) else { break }
                if await connection.wait(for: .milliseconds(500), until: { _, closed in closed }) { break }
            }
            let response = await connection.response(within: .seconds(10))
            #expect(response?.status == 408)
            #expect(response?.error?.contains("body_timeout") == true)
            #expect(await connection.waitForClose(within: .seconds(5)))
            #expect(ContinuousClock.now - started < .seconds(8))
        }
        #expect(try await database.store.status().received == 0)
    }

    @Test func aDeclaredBodyThatNeverComesIs408() async throws {
        try await withIngest(body: "1s", idle: "60s") { port in
            let connection = try RawConnection(port: port)
            await connection.send("POST /hooks/precoro?token=\(Self.token) HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n")
            #expect(await connection.response(within: .seconds(10))?.status == 408)
            #expect(await connection.waitForClose(within: .seconds(5)))
        }
    }

    // MARK: Item 3: refusals before the body

    @Test func aDeclaredLengthOverTheLimitIs413AtOnce() async throws {
        try await withIngest(body: "60s", idle: "60s") { port in
            let connection = try RawConnection(port: port)
            await connection.send("POST /hooks/precoro?token=\(Self.token) HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n")
            let response = await connection.response(within: .seconds(5))
            #expect(response?.status == 413)
            #expect(response?.error?.contains("max_body_bytes") == true)
            #expect(await connection.waitForClose(within: .seconds(5)), "the unread body is not drained")
        }
    }

    /// A sender that writes its whole body before it reads (as most HTTP clients do) still gets the
    /// early answer: the connection lingers, reading and dropping, rather than reset under it.
    @Test func anEarlyAnswerReachesASenderThatSendsItsWholeBodyFirst() async throws {
        try await withIngest(body: "60s", idle: "60s") { port in
            let connection = try RawConnection(port: port)
            let body = Data(repeating: UInt8(ascii: "x"), count: 4 * 1024 * 1024)
            await connection.send("POST /hooks/precoro?token=\(Self.token) HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n")
            #expect(await connection.send(body), "the body is taken (and dropped), not reset")
            let response = await connection.response(within: .seconds(5))
            #expect(response?.status == 413, "\(connection.text.prefix(300))")
            #expect(response?.error?.contains("max_body_bytes") == true)
        }
    }

    @Test func aWrongTokenIsRefusedBeforeTheBody() async throws {
        try await withIngest(body: "60s", idle: "60s") { port in
            let connection = try RawConnection(port: port)
            // Only the head is sent: the answer must not wait for the 2,000 declared bytes.
            await connection.send("POST /hooks/precoro?token=wrong HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n")
            let response = await connection.response(within: .seconds(5))
            #expect(response?.status == 401)
            #expect(response?.headers["connection"] == "close")
            #expect(await connection.waitForClose(within: .seconds(5)))
        }
    }

    /// A signed sender's signature covers the body, so it is checked after the body; what its head
    /// alone shows (the headers are there, the timestamp is fresh) is checked before.
    @Test func aStaleOrUnsignedStandardWebhookIsRefusedBeforeTheBody() async throws {
        try await withIngest(body: "60s", idle: "60s") { port in
            let stale = String(Int(database.clock.now.timeIntervalSince1970) - 3_600)
            for headers in ["", "webhook-id: msg_1\r\nwebhook-timestamp: \(stale)\r\nwebhook-signature: v1,bm90aXQ=\r\n"] {
                let connection = try RawConnection(port: port)
                await connection.send("POST /hooks/acme HTTP/1.1\r\nHost: x\r\n\(headers)Content-Length: 2000\r\n\r\n")
                let response = await connection.response(within: .seconds(5))
                #expect(response?.status == 401, "\(connection.text)")
                #expect(await connection.waitForClose(within: .seconds(5)))
            }
        }
    }

    @Test func expectContinueIsAnsweredOnlyForARequestThatPassesItsChecks() async throws {
        try await withIngest(body: "60s", idle: "60s") { port in
            let good = try RawConnection(port: port)
            let body = Self.event
            await good.send("POST /hooks/precoro?token=\(Self.token) HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
            let interim = await good.response(within: .seconds(5))
            #expect(interim?.status == 100, "\(good.text)")
            await good.send(body)
            let final = await good.wait(for: .seconds(10)) { data, _ in
                RawResponse(parsing: data).flatMap { RawResponse(parsing: $0.rest) }?.status == 200
            }
            #expect(final, "\(good.text)")

            let bad = try RawConnection(port: port)
            await bad.send("POST /hooks/precoro?token=wrong HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
            #expect(await bad.response(within: .seconds(5))?.status == 401)
        }
        #expect(try await database.store.status().accepted == 1)
    }

    @Test func pipelinedRequestsAreBothAnswered() async throws {
        try await withIngest(idle: "60s") { port in
            let connection = try RawConnection(port: port)
            await connection.send(Self.post() + Self.post(body: #"{"id": 2, "type": 3, "action": 1}"#))
            let both = await connection.wait(for: .seconds(10)) { data, _ in
                RawResponse(parsing: data).flatMap { RawResponse(parsing: $0.rest) }?.status == 200
            }
            #expect(both, "two pipelined requests answered: \(connection.text)")
        }
        #expect(try await database.store.status().accepted == 2)
    }

    // MARK: Item 3: the connection cap

    @Test func connectionsPastTheCapWaitUntilOneCloses() async throws {
        try await withIngest(header: "60s", idle: "60s", maxConnections: 3) { port in
            let held = try (0..<3).map { _ in try RawConnection(port: port) }
            // Each held connection has been accepted once it is answered.
            for connection in held {
                await connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(await connection.response(within: .seconds(10))?.status == 200)
            }
            let waiting = try RawConnection(port: port)
            await waiting.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await waiting.response(within: .seconds(1)) == nil, "a fourth connection is not served")
            held[0].hangUp()
            #expect(await waiting.response(within: .seconds(10))?.status == 200, "served once one closed")
        }
    }
}
