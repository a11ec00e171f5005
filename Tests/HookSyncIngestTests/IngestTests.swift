import Foundation
import HookSyncConfig
import HookSyncCore
@testable import HookSyncIngest
import HookSyncProviders
import Logging
import HookSyncSQLite
import HTTPTypes
import HookSyncTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Ingest: what each request gets")
struct IngestTests {
    let fixture: IngestFixture

    init() throws {
        fixture = try IngestFixture()
    }

    func claimAll() async throws -> [WorkItem] {
        try await fixture.store.claim(limit: 100, leaseDuration: .seconds(30), owner: "test")
    }

    @Test func precoroWebhookIsStoredBeforeTheAnswerWithoutItsToken() async throws {
        try await fixture.listeners.ingest.test(.router) { client in
            let answer = try await client.send("/hooks/precoro?token=tok-precoro", body: #"{"id": 123456, "type": 2, "action": 0, "idn": 5}"#)
            #expect(answer.status == .ok)
            #expect(json(answer.body)["status"] as? String == "accepted")
            #expect(json(answer.body)["events"] as? Int == 1)
        }
        let item = try #require(try await claimAll().first)
        #expect(item.key == EntityKey(source: "precoro", type: "purchase_order", id: "123456"))
        #expect(item.actions.last == .create)
        let raw = try #require(try await fixture.store.events(forWorkItem: item.id).first?.envelope.raw)
        #expect(!raw.query.contains("tok-precoro"), "the token is never stored")
        #expect(String(decoding: raw.body, as: UTF8.self).contains("123456"))
    }

    /// A store without a synchronous client gets the awaited group commit, through `enqueue`: every
    /// request answered 200 is stored.
    @Test func aStoreThatCanOnlyBeAwaitedIsCommittedThroughEnqueue() async throws {
        let store = AwaitingQueueStore(base: fixture.store)
        let listeners = IngestApplication(config: fixture.config, store: store, clock: fixture.database.clock, logger: Logger(label: "test"))
        try await listeners.ingest.test(.router) { client in
            try await withThrowingTaskGroup { group in
                for id in 1...20 {
                    group.addTask {
                        let answer = try await client.send("/hooks/precoro?token=tok-precoro", body: #"{"id": \#(id), "type": 3, "action": 1}"#)
                        #expect(answer.status == .ok)
                    }
                }
                try await group.waitForAll()
            }
        }
        #expect(store.enqueues.count >= 1 && store.enqueues.count <= 20)
        #expect(Set(try await claimAll().map(\.key.id)) == Set((1...20).map(String.init)))
    }

    /// A Kladana request carries up to a thousand events (2,000 here): it is answered and stored as
    /// one request, not one copy per event.
    @Test func aKladanaRequestOfTwoThousandEventsIsStoredOnce() async throws {
        var config = fixture.config
        config.ingest.maxBodyBytes = 1 << 20
        let listeners = IngestApplication(config: config, store: fixture.store, clock: fixture.database.clock, logger: Logger(label: "test"))
        let events = (0..<2_000).map { index in
            #"{"meta": {"type": "customerorder", "href": "https://api.kladana.com/api/remap/1.2/entity/customerorder/o-\#(index)"}, "action": "UPDATE", "accountId": "acc"}"#
        }
        let body = #"{"auditContext": {"moment": "2024-06-10 12:00:00"}, "events": [\#(events.joined(separator: ","))]}"#
        try await listeners.ingest.test(.router) { client in
            let answer = try await client.send("/hooks/kladana?requestId=bulk-1&token=tok-kladana", body: body)
            #expect(answer.status == .ok && json(answer.body)["events"] as? Int == 2_000)
        }
        let fileBytes = try FileManager.default.attributesOfItem(atPath: fixture.database.path)[.size] as? Int ?? 0
        let walBytes = try? FileManager.default.attributesOfItem(atPath: fixture.database.path + "-wal")[.size] as? Int
        let stored = fileBytes + (walBytes ?? 0)
        #expect(stored < 4 * body.utf8.count, "\(stored) bytes on disk for a \(body.utf8.count)-byte request")
    }

    @Test func bearerHeaderAuthenticatesToo() async throws {
        try await fixture.listeners.ingest.test(.router) { client in
            let answer = try await client.send("/hooks/softledger", headers: [.authorization: "Bearer tok-softledger", .contentType: "application/json"],
                body: #"{"uuid": "u-1", "date": "2026-01-01T00:00:00Z", "objectType": "Invoice", "action": "Invoice Updated", "objectId": "inv-9", "tenantId": "t"}"#)
            #expect(answer.status == .ok)
        }
        #expect(try await claimAll().map(\.key.id) == ["inv-9"])
    }

    @Test(arguments: [
        ("/hooks/precoro", "no token"),
        ("/hooks/precoro?token=tok-economic", "wrong token"),
        ("/hooks/precoro?token=", "wrong token"),
        ("/hooks/precoro?token=tok-precor", "wrong token"),
        ("/hooks/precoro?token=tok-precoroo", "wrong token"),
    ])
    func badTokensAre401AndStoreNothing(_ uri: String, _ reason: String) async throws {
        try await fixture.listeners.ingest.test(.router) { client in
            let answer = try await client.send(uri, body: #"{"id": 1, "type": 3, "action": 1}"#)
            #expect(answer.status == .unauthorized)
            let error = try #require(json(answer.body)["error"] as? String)
            #expect(error.contains(reason))
            #expect(!error.contains("tok-precoro"))
        }
        let status = try await fixture.store.status()
        #expect(status.received == 0 && status.quarantined == 0)
    }

    @Test func unknownSourceWrongMethodAndLargeBodiesGetJSONErrors() async throws {
        try await fixture.listeners.ingest.test(.router) { client in
            let unknown = try await client.send("/hooks/quickbooks?token=x", body: "{}")
            #expect(unknown.status == .notFound)
            #expect(json(unknown.body)["error"] as? String == "unknown source \"quickbooks\"")

            let wrongMethod = try await client.send("/hooks/precoro?token=tok-precoro", method: .get)
            #expect(wrongMethod.status == .methodNotAllowed)
            #expect(wrongMethod.headers[.allow] == "POST")
            #expect(json(wrongMethod.body)["error"] != nil)

            let put = try await client.send("/hooks/kladana?token=tok-kladana", method: .put)
            #expect(put.status == .methodNotAllowed && put.headers[.allow] == "GET, POST")

            let large = try await client.send("/hooks/precoro?token=tok-precoro", body: String(repeating: " ", count: 4096))
            #expect(large.status == .contentTooLarge)
            #expect((json(large.body)["error"] as? String)?.contains("max_body_bytes") == true)

            let noRoute = try await client.send("/nowhere", method: .get)
            #expect(noRoute.status == .notFound && json(noRoute.body)["error"] != nil)
        }
    }

    @Test func malformedBodiesAreQuarantinedAndAnswered200() async throws {
        try await fixture.listeners.ingest.test(.router) { client in
            let answer = try await client.send("/hooks/precoro?token=tok-precoro", body: #"{"id": 1, "type": 42, "action": 0}"#)
            #expect(answer.status == .ok, "Precoro disables a webhook after five non-200 answers")
            #expect(json(answer.body)["status"] as? String == "quarantined")
            #expect((json(answer.body)["reason"] as? String)?.contains("42") == true)
            let notJSON = try await client.send("/hooks/precoro?token=tok-precoro", body: "id=1")
            #expect(json(notJSON.body)["status"] as? String == "quarantined")
        }
        let quarantined = try await fixture.store.quarantinedDeliveries(source: nil, limit: 10)
        #expect(quarantined.count == 2)
        #expect(quarantined[0].delivery.raw.body == Data(#"{"id": 1, "type": 42, "action": 0}"#.utf8))
        #expect(!quarantined[0].delivery.raw.query.contains("tok-precoro"))
        #expect(try await fixture.store.status().accepted == 0)
    }

    @Test func quarantinedRequestReplaysOnceItParses() async throws {
        // An e-conomic hook registered without the type segment cannot be parsed...
        try await fixture.listeners.ingest.test(.router) { client in
            let answer = try await client.send("/hooks/economic?newnumber=7&oldnumber=7&token=tok-economic", body: "")
            #expect(json(answer.body)["status"] as? String == "quarantined")
        }
        let entry = try #require(try await fixture.store.quarantinedDeliveries(source: "economic", limit: 1).first)
        let outcome = try await QuarantineReplay.replay(entry, config: fixture.config, store: fixture.store)
        guard case .stillRejected = outcome else { Issue.record("replayed \(outcome)"); return }
        // ...until the stored path says which type it was (as after the operator fixes the URL and re-sends).
        var fixed = entry
        fixed.delivery.raw.path = "/hooks/economic/customer"
        #expect(try await QuarantineReplay.replay(fixed, config: fixture.config, store: fixture.store) == .enqueued(events: 1))
        #expect(try await fixture.store.quarantinedDeliveries(source: nil, limit: 10).isEmpty)
        #expect(try await claimAll().map(\.key) == [EntityKey(source: "economic", type: "customer", id: "7")])
    }

    @Test func economicTypeComesFromTheURLAndRenumbersKeepTheOldNumber() async throws {
        try await fixture.listeners.ingest.test(.router) { client in
            let answer = try await client.send("/hooks/economic/customer?newnumber=33&oldnumber=32&token=tok-economic")
            #expect(answer.status == .ok)
        }
        let item = try #require(try await claimAll().first)
        #expect(item.key == EntityKey(source: "economic", type: "customer", id: "33"))
        #expect(item.actions.last == .renumber && item.extras["old_number"] == "32")
    }

    @Test func kladanaRetriesAreDuplicatesAndWorkflowGETsAreAccepted() async throws {
        let body = """
            {"auditContext": {"meta": {"type": "audit", "href": "https://api.kladana.com/api/remap/1.2/audit/1"}, "moment": "2024-06-10 12:00:00", "uid": "admin@x"},
             "events": [
               {"meta": {"type": "customerorder", "href": "https://api.kladana.com/api/remap/1.2/entity/customerorder/aa-1"}, "action": "UPDATE", "accountId": "acc"},
               {"meta": {"type": "demand", "href": "https://api.kladana.com/api/remap/1.2/entity/demand/bb-2"}, "action": "CREATE", "accountId": "acc"}]}
            """
        try await fixture.listeners.ingest.test(.router) { client in
            for _ in 1...3 {
                let answer = try await client.send("/hooks/kladana?requestId=req-1&token=tok-kladana", body: body)
                #expect(answer.status == .ok)
            }
            let workflow = try await client.send("/hooks/kladana?id=cc-3&type=CustomerOrder&token=tok-kladana", method: .get)
            #expect(workflow.status == .ok)
        }
        let status = try await fixture.store.status()
        #expect(status.accepted == 3 && status.duplicates == 4)
        #expect(Set(try await claimAll().map(\.key.id)) == ["aa-1", "bb-2", "cc-3"])
    }

    @Test func standardWebhooksNeedAValidFreshSignatureFromAnyConfiguredSecret() async throws {
        let body = #"{"type": "invoice.updated", "timestamp": "2026-01-01T00:00:00Z", "data": {"id": "inv_1"}}"#
        let now = fixture.database.clock.now
        @Sendable func headers(id: String, timestamp: Date, signedBody: String, secret: String = IngestFixture.signingSecret) -> HTTPFields {
            let seconds = String(Int(timestamp.timeIntervalSince1970))
            let signature = StandardWebhooksVerifier(secrets: [secret]).sign(id: id, timestamp: seconds, body: Data(signedBody.utf8))
            return [.contentType: "application/json", HTTPField.Name("webhook-id")!: id,
                    HTTPField.Name("webhook-timestamp")!: seconds, HTTPField.Name("webhook-signature")!: "v1,bm90aXQ= \(signature)"]
        }
        try await fixture.listeners.ingest.test(.router) { client in
            let valid = try await client.send("/hooks/acme", headers: headers(id: "msg_1", timestamp: now, signedBody: body), body: body)
            #expect(valid.status == .ok)
            let rotated = try await client.send("/hooks/acme", headers: headers(id: "msg_2", timestamp: now, signedBody: body,
                secret: "whsec_b2xkc2VjcmV0b2xkc2VjcmV0b2xkc2VjcmV0"), body: body)
            #expect(rotated.status == .ok, "the old secret is still configured")
            let tampered = try await client.send("/hooks/acme", headers: headers(id: "msg_3", timestamp: now, signedBody: body),
                body: body.replacingOccurrences(of: "inv_1", with: "inv_2"))
            #expect(tampered.status == .unauthorized)
            let stale = try await client.send("/hooks/acme", headers: headers(id: "msg_4", timestamp: now.addingTimeInterval(-600), signedBody: body), body: body)
            #expect(stale.status == .unauthorized)
            let unsigned = try await client.send("/hooks/acme", body: body)
            #expect(unsigned.status == .unauthorized)
            let replay = try await client.send("/hooks/acme", headers: headers(id: "msg_1", timestamp: now, signedBody: body), body: body)
            #expect(replay.status == .ok)
        }
        let status = try await fixture.store.status()
        #expect(status.accepted == 2 && status.duplicates == 1, "webhook-id is the delivery id")
    }

    @Test func theBenchmarkBaselineRouteStoresNothingAndIsOffUnlessAskedFor() async throws {
        try await fixture.listeners.ingest.test(.router) { client in
            let answer = try await client.send("/bench/noop", body: "{}")
            #expect(answer.status == .notFound)
        }
        let baseline = IngestApplication(config: fixture.config, store: fixture.store, logger: Logger(label: "test"), benchmarkBaseline: true)
        try await baseline.ingest.test(.router) { client in
            let answer = try await client.send("/bench/noop", body: #"{"id": 1, "type": 3, "action": 1}"#)
            #expect(answer.status == .ok && json(answer.body)["status"] as? String == "accepted")
            let large = try await client.send("/bench/noop", body: String(repeating: "x", count: 300 * 1024))
            #expect(large.status == .contentTooLarge)
        }
        let status = try await fixture.store.status()
        #expect(status.received == 0 && status.quarantined == 0)
    }

    @Test func healthReadinessAndMetrics() async throws {
        try await fixture.listeners.ingest.test(.router) { client in
            #expect(try await client.send("/healthz", method: .get).status == .ok)
            let ready = try await client.send("/readyz", method: .get)
            #expect(ready.status == .ok && json(ready.body)["status"] as? String == "ready")
            _ = try await client.send("/hooks/precoro?token=tok-precoro", body: #"{"id": 1, "type": 3, "action": 1}"#)
            _ = try await client.send("/hooks/precoro?token=nope", body: "{}")
            _ = try await client.send("/hooks/random-scan", body: "{}")
            let metrics = try await client.send("/metrics", method: .get)
            #expect(metrics.body.contains(#"hooksync_ingest_requests_total{source="precoro",outcome="accepted"} 1"#))
            #expect(metrics.body.contains(#"hooksync_ingest_requests_total{source="precoro",outcome="unauthorized"} 1"#))
            #expect(metrics.body.contains(#"hooksync_ingest_requests_total{source="unknown",outcome="unknown_source"} 1"#))
            #expect(metrics.body.contains("hooksync_ingest_duration_seconds_bucket"))
            #expect(metrics.body.contains("hooksync_queue_depth 1"))
        }
    }

    /// A scrape every second must not read a queue of a million items every second.
    @Test func scrapesReadTheQueueAtMostOncePerFewSeconds() async throws {
        let store = AwaitingQueueStore(base: fixture.store)
        let listeners = IngestApplication(config: fixture.config, store: store, clock: fixture.database.clock, logger: Logger(label: "test"))
        _ = try await fixture.store.enqueue([fixture.database.envelope("1"), fixture.database.envelope("2")])
        try await listeners.ingest.test(.router) { client in
            for _ in 1...20 {
                let metrics = try await client.send("/metrics", method: .get)
                #expect(metrics.status == .ok && metrics.body.contains("hooksync_queue_depth 2"))
            }
        }
        #expect(store.statusReads.count == 0, "a scrape never runs the whole status")
        #expect(store.depthReads.count == 1)
    }

    @Test(arguments: [
        (#"{"source": "precoro", "type": "../../etc"}"#, #"source precoro does not list type "../../etc" (reconcile.types: invoice, purchase_order)"#),
        (#"{"source": "precoro", "type": "supplier"}"#, #"source precoro does not list type "supplier" (reconcile.types: invoice, purchase_order)"#),
        (#"{"source": "economic", "type": "customer"}"#, #"source economic lists no reconcile.types; add "customer" there to resync it"#),
    ])
    func adminResyncRefusesATypeTheSourceDoesNotList(body: String, error: String) async throws {
        var config = fixture.config
        config.sources[0].reconcile.types = ["invoice", "purchase_order"]
        let listeners = IngestApplication(config: config, store: fixture.store, clock: fixture.database.clock, logger: Logger(label: "test"))
        let admin = try #require(listeners.admin)
        try await admin.test(.router) { client in
            let headers: HTTPFields = [.authorization: "Bearer admin-secret-1", .contentType: "application/json"]
            let refused = try await client.send("/admin/resync", headers: headers, body: body)
            #expect(refused.status == .badRequest)
            #expect(json(refused.body)["error"] as? String == error)
            let accepted = try await client.send("/admin/resync", headers: headers, body: #"{"source": "precoro", "type": "purchase_order"}"#)
            #expect(accepted.status == .accepted)
        }
        #expect(try await fixture.store.takeResyncRequests(now: fixture.database.clock.now).map(\.type) == ["purchase_order"])
    }

    @Test func adminStatusNeedsTheAdminToken() async throws {
        let admin = try #require(fixture.listeners.admin)
        try await admin.test(.router) { client in
            #expect(try await client.send("/admin/status", method: .get).status == .unauthorized)
            #expect(try await client.send("/admin/status", method: .get, headers: [.authorization: "Bearer wrong"]).status == .unauthorized)
            let status = try await client.send("/admin/status", method: .get, headers: [.authorization: "Bearer admin-secret-1"])
            #expect(status.status == .ok)
            #expect(json(status.body)["schema_version"] as? String == SQLiteSchema.knownMigrations.last)
        }
    }

    @Test func allowlistRefusesOtherNetworks() async throws {
        try await fixture.listeners.ingest.test(.live) { client in
            let answer = try await client.send("/hooks/office?token=tok-office", body: #"{"id": 1, "type": 3, "action": 1}"#)
            #expect(answer.status == .unauthorized, "127.0.0.1 is not in 10.0.0.0/8")
            #expect((json(answer.body)["error"] as? String)?.contains("allow_cidrs") == true)
            #expect(try await client.send("/hooks/precoro?token=tok-precoro", body: #"{"id": 1, "type": 3, "action": 1}"#).status == .ok)
        }
    }

    @Test func concurrentRequestsShareCommits() async throws {
        try await fixture.listeners.ingest.test(.live) { client in
            let port = try #require(client.port)
            // One TestClient is one HTTP/1 connection, answered in order: concurrency needs many.
            try await withThrowingTaskGroup(of: Int.self) { group in
                for connection in 0..<20 {
                    group.addTask {
                        let sender = TestClient(host: "127.0.0.1", port: port)
                        sender.connect()
                        var accepted = 0
                        for n in 0..<10 {
                            let response = try await sender.execute(.init(
                                "/hooks/precoro?token=tok-precoro", method: .post, headers: [.contentType: "application/json"],
                                body: ByteBuffer(string: #"{"id": \#(connection * 100 + n), "type": 3, "action": 1}"#)))
                            if response.status == .ok { accepted += 1 }
                        }
                        try await sender.shutdown()
                        return accepted
                    }
                }
                let accepted = try await group.reduce(0, +)
                #expect(accepted == 200)
            }
            let metrics = try await client.send("/metrics", method: .get).body
            let commits = metrics.split(separator: "\n").first { $0.hasPrefix("hooksync_ingest_commits_total ") }
            let count = try #require(commits.flatMap { Int($0.split(separator: " ").last ?? "") })
            #expect(count >= 1 && count < 200, "200 requests in \(count) commits")
        }
        #expect(try await fixture.store.status().accepted == 200)
    }
}

@Suite("Secrets compared by digest")
struct SecretDigestTests {
    @Test func onlyTheExactSecretMatches() {
        let secret = SecretDigest("s3cret-token")
        #expect(secret.matches("s3cret-token"))
        for candidate in ["", "s3cret-toke", "s3cret-tokenn", "S3cret-token", " s3cret-token"] {
            #expect(!secret.matches(candidate), "\(candidate) must not match")
        }
        #expect(SecretDigest("").matches(""))
    }
}
