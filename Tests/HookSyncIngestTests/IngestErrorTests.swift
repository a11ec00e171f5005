import Foundation
import HookSyncConfig
import HookSyncCore
@testable import HookSyncIngest
import HookSyncSQLite
import HookSyncTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// What ingest answers when its store fails, when credentials disagree, and when a method is wrong:
/// always `{"error": …}`, with a status a sender can act on.
@Suite("Ingest: errors and refusals")
struct IngestErrorTests {
    let fixture: IngestFixture

    init() throws {
        fixture = try IngestFixture()
    }

    static let precoroEvent = #"{"id": 1, "type": 3, "action": 1}"#

    @Test func aFailedQuarantineWriteIs503WithAnErrorAndALogLine() async throws {
        let store = AwaitingQueueStore(base: fixture.store)
        let (logger, logs) = RecordingLogHandler.logger()
        let listeners = IngestApplication(config: fixture.config, store: store, clock: fixture.database.clock, logger: logger)
        store.failWrites.isOn = true
        try await listeners.ingest.test(.router) { client in
            let answer = try await client.send("/hooks/precoro?token=tok-precoro", body: #"{"id": 1, "type": 42, "action": 0}"#)
            #expect(answer.status == .serviceUnavailable, "the sender retries; nothing was kept")
            #expect(answer.headers[.contentType] == "application/json")
            #expect((json(answer.body)["error"] as? String)?.contains("retry") == true)
        }
        #expect(logs.contains(.error, "could not quarantine webhook"))
        #expect(try await fixture.store.quarantinedDeliveries(source: nil, limit: 10).isEmpty)
    }

    @Test func readinessTurnsUnreadyWhileWritesFailAndRecovers() async throws {
        let store = AwaitingQueueStore(base: fixture.store)
        let clock = fixture.database.clock
        let listeners = IngestApplication(config: fixture.config, store: store, clock: clock, logger: Logger(label: "test"))
        try await listeners.ingest.test(.router) { client in
            #expect(try await client.send("/readyz", method: .get).status == .ok)
            // A full disk: writes fail, yet an empty write transaction still commits.
            store.failWrites.isOn = true
            #expect(try await client.send("/hooks/precoro?token=tok-precoro", body: Self.precoroEvent).status == .serviceUnavailable)
            let unready = try await client.send("/readyz", method: .get)
            #expect(unready.status == .serviceUnavailable)
            #expect((json(unready.body)["error"] as? String)?.contains("database or disk is full") == true)

            // Without deliveries it says ready again after a while, so a balancer lets one try...
            clock.advance(by: .seconds(16))
            #expect(try await client.send("/readyz", method: .get).status == .ok)
            // ...and a failed quarantine write counts as much as a failed commit.
            #expect(try await client.send("/hooks/precoro?token=tok-precoro", body: "not json").status == .serviceUnavailable)
            #expect(try await client.send("/readyz", method: .get).status == .serviceUnavailable)

            // The disk has room again: the first stored delivery makes it ready at once.
            store.failWrites.isOn = false
            #expect(try await client.send("/hooks/precoro?token=tok-precoro", body: Self.precoroEvent).status == .ok)
            #expect(try await client.send("/readyz", method: .get).status == .ok)
        }
    }

    @Test(arguments: [
        ("/hooks/precoro?token=tok-economic", "Bearer tok-precoro"),
        ("/hooks/precoro?token=tok-precoro", "Bearer tok-economic"),
        ("/hooks/precoro?token=tok-precoro&token=wrong", nil),
        ("/hooks/precoro?token=wrong&token=tok-precoro", nil),
        ("/hooks/precoro?token=tok-precoro&token=", nil),
    ] as [(String, String?)])
    func credentialsThatDisagreeAreRefused(_ uri: String, _ authorization: String?) async throws {
        var fields: HTTPFields = [.contentType: "application/json"]
        if let authorization { fields[.authorization] = authorization }
        let headers = fields
        try await fixture.listeners.ingest.test(.router) { client in
            let answer = try await client.send(uri, headers: headers, body: Self.precoroEvent)
            #expect(answer.status == .unauthorized)
            #expect(json(answer.body)["error"] != nil)
        }
        #expect(try await fixture.store.status().received == 0)
    }

    @Test func credentialsThatAgreeAreAccepted() async throws {
        try await fixture.listeners.ingest.test(.router) { client in
            let both = try await client.send("/hooks/precoro?token=tok-precoro",
                headers: [.authorization: "Bearer tok-precoro", .contentType: "application/json"], body: Self.precoroEvent)
            #expect(both.status == .ok)
            let twice = try await client.send("/hooks/precoro?token=tok-precoro&token=tok-precoro", body: #"{"id": 2, "type": 3, "action": 1}"#)
            #expect(twice.status == .ok)
        }
    }

    @Test func wrongMethodsOnHookAndServiceRoutesAre405WithAllow() async throws {
        try await fixture.listeners.ingest.test(.router) { client in
            for method: HTTPRequest.Method in [.head, .options, .trace, .connect, .put, .delete] {
                let answer = try await client.send("/hooks/precoro?token=tok-precoro", method: method)
                #expect(answer.status == .methodNotAllowed, "\(method)")
                #expect(answer.headers[.allow] == "POST", "\(method)")
            }
            let kladana = try await client.send("/hooks/kladana/customerorder?token=tok-kladana", method: .options)
            #expect(kladana.status == .methodNotAllowed && kladana.headers[.allow] == "GET, POST")
            let healthz = try await client.send("/healthz", method: .post)
            #expect(healthz.status == .methodNotAllowed && healthz.headers[.allow] == "GET, HEAD")
            #expect(json(healthz.body)["error"] != nil)
            #expect(try await client.send("/healthz", method: .head).status == .ok)
        }
    }

    @Test func wrongMethodsOnAdminRoutesAre405WithAllow() async throws {
        let admin = try #require(fixture.listeners.admin)
        let token: HTTPFields = [.authorization: "Bearer admin-secret-1"]
        try await admin.test(.router) { client in
            let resync = try await client.send("/admin/resync", method: .get, headers: token)
            #expect(resync.status == .methodNotAllowed && resync.headers[.allow] == "POST")
            #expect(json(resync.body)["error"] != nil)
            let status = try await client.send("/admin/status", method: .delete, headers: token)
            #expect(status.status == .methodNotAllowed && status.headers[.allow] == "GET, HEAD")
            #expect(try await client.send("/admin/status", method: .delete).status == .unauthorized, "the token comes first")
        }
    }

    @Test func anOversizeResyncBodyIs413WithAnError() async throws {
        let admin = try #require(fixture.listeners.admin)
        try await admin.test(.router) { client in
            let answer = try await client.send("/admin/resync", headers: [.authorization: "Bearer admin-secret-1"],
                                               body: String(repeating: " ", count: 70 * 1024))
            #expect(answer.status == .contentTooLarge)
            #expect(answer.headers[.contentType] == "application/json")
            #expect(json(answer.body)["error"] != nil)
        }
    }

    @Test func anUnexpectedErrorIs500WithAnErrorAndALogLine() async throws {
        let (logger, logs) = RecordingLogHandler.logger()
        let router = Router(context: IngestRequestContext.self)
        router.add(middleware: JSONErrorMiddleware())
        router.get("/fails") { _, _ -> Response in throw CocoaError(.fileWriteOutOfSpace) }
        try await Application(router: router, logger: logger).test(.router) { client in
            let answer = try await client.send("/fails", method: .get)
            #expect(answer.status == .internalServerError)
            #expect(json(answer.body)["error"] != nil)
        }
        #expect(logs.contains(.error, "request failed"))
    }

    @Test func listenersBeyondLoopbackAreSaidSo() throws {
        func logs(ingest: String, admin: String) throws -> RecordingLogHandler.Records {
            let yaml = """
                ingest: { listen: "\(ingest)" }
                admin: { listen: "\(admin)", token: admin-secret-1 }
                """
            let config = try ConfigLoader(environment: [:]).parse(yaml: yaml)
            let (logger, records) = RecordingLogHandler.logger()
            _ = IngestApplication(config: config, store: fixture.store, logger: logger)
            return records
        }
        let exposed = try logs(ingest: "0.0.0.0:8080", admin: "[::]:8081")
        #expect(exposed.contains(.notice, "ingest listens beyond this host"))
        #expect(exposed.contains(.warning, "admin listener listens beyond this host"))
        let local = try logs(ingest: "127.0.0.1:8080", admin: "[::1]:8081")
        #expect(local.all.isEmpty, "\(local.all)")
        #expect(IngestApplication.isLoopback("localhost") && IngestApplication.isLoopback("127.3.2.1"))
        #expect(!IngestApplication.isLoopback("10.0.0.1") && !IngestApplication.isLoopback("::"))
    }
}
