import Foundation
import HookSyncConfig
import HookSyncCore
import HookSyncProviders
import HookSyncSQLite
import HookSyncTestSupport
import HookSyncWorker
import Testing

/// What the worker does with each kind of provider answer, through the real provider clients over a
/// scripted transport, with the queue's manual clock deciding when retries are due.
@Suite struct WorkerOutcomeTests {
    static func entity(_ url: String) -> APIResponse {
        if url.hasSuffix("/oauth/token") { return Entity.json(["access_token": "token-1", "expires_in": 3600]) }
        let id = String(url.split(separator: "/").last ?? "")
        return Entity.json([
            "id": id, "lastUpdated": "2026-01-01T00:00:00Z", "updated": "2026-01-01 03:00:00.000",
            "updateDate": "2026-01-01T00:00:00", "updatedAt": "2026-01-01T00:00:00.000Z", "updated_at": "2026-01-01T00:00:00Z",
        ])
    }

    static let economic = EntityKey(source: "economic", type: "customer", id: "33")

    @Test func syncsTheFetchedEntityToTheMirrorAndFinishesTheItem() async throws {
        let harness = try WorkerHarness(transport: ScriptedTransport(fallback: Self.entity))
        _ = try await harness.store.enqueue([harness.database.envelope("33", .update, type: "customer", source: "economic")])
        try await harness.run(sources: [harness.source("economic", kind: .economic)]) {
            try await harness.mirror.row(Self.economic) != nil
        }
        let row = try #require(try await harness.mirror.row(Self.economic))
        #expect(!row.deleted)
        #expect(row.remoteModifiedAt == ISO8601DateFormatter().date(from: "2026-01-01T00:00:00Z"))
        #expect(try await harness.latestItem(of: Self.economic).state == .done)
        let request = try #require(harness.transport.requests(endingWith: "/customers/33").first)
        #expect(request.headers["X-AppSecretToken"] == "a" && request.headers["X-AgreementGrantToken"] == "g")
    }

    @Test func notFoundTombstonesTheEntity() async throws {
        let harness = try WorkerHarness(transport: ScriptedTransport(fallback: Self.entity))
        harness.transport.script("/customers/33", Entity.status(404))
        _ = try await harness.store.enqueue([harness.database.envelope("33", .delete, type: "customer", source: "economic")])
        try await harness.run(sources: [harness.source("economic", kind: .economic)]) {
            try await harness.mirror.row(Self.economic)?.deleted == true
        }
        #expect(try await harness.mirror.row(Self.economic)?.data == nil)
        #expect(try await harness.latestItem(of: Self.economic).state == .done)
    }

    @Test func aRenumberTombstonesTheOldNumberAndFetchesTheNewOne() async throws {
        let harness = try WorkerHarness(transport: ScriptedTransport(fallback: Self.entity))
        let old = EntityKey(source: "economic", type: "customer", id: "32")
        try await harness.mirror.write([SyncRecord(key: old, change: .live(json: Data("{}".utf8), remoteModifiedAt: nil), syncedAt: harness.clock.now)])
        _ = try await harness.store.enqueue([harness.database.envelope("33", .renumber, type: "customer", source: "economic", extras: ["old_number": "32"])])
        try await harness.run(sources: [harness.source("economic", kind: .economic)]) {
            try await harness.mirror.row(Self.economic) != nil
        }
        #expect(try await harness.mirror.row(old)?.deleted == true)
        #expect(try await harness.mirror.row(Self.economic)?.deleted == false)
        #expect(harness.transport.requests(endingWith: "/customers/32").isEmpty, "the old number is gone; fetching it would only 404")
    }

    /// Each provider's own 429 signal: the item waits exactly as long as asked, and no attempt is counted.
    @Test(arguments: [
        (ProviderKind.economic, "customer", "33", "/customers/33", Entity.status(429, headers: ["retry-after": "7"])),
        (.kladana, "customerorder", "k-1", "/entity/customerorder/k-1", Entity.status(429, headers: ["x-lognex-retry-after": "7000"])),
        (.precoro, "purchase_order", "900", "/purchaseorders/5",
         Entity.status(429, body: #"{"RateLimit-Type": "Second limiter", "RateLimit-Retry-After": "2026-01-01 00:00:07 UTC", "RateLimit-Limit": 1}"#)),
        (.softledger, "ledger_account", "la-1", "/LedgerAccount/la-1", Entity.status(429, headers: ["retry-after": "7"])),
    ])
    func aRateLimitWaitsForTheProvidersSignalWithoutBurningAnAttempt(
        kind: ProviderKind, type: String, id: String, path: String, limited: APIResponse
    ) async throws {
        let harness = try WorkerHarness(transport: ScriptedTransport(fallback: Self.entity))
        harness.transport.script(path, limited)
        let source = kind.rawValue
        let key = EntityKey(source: source, type: type, id: id)
        let extras = kind == .precoro ? ["idn": "5"] : kind == .softledger ? ["object_type": "LedgerAccount"] : [:]
        _ = try await harness.store.enqueue([harness.database.envelope(id, .update, type: type, source: source, extras: extras)])
        let limitedAt = harness.clock.now
        try await harness.run(sources: [harness.source(source, kind: kind)]) {
            try await harness.latestItem(of: key).lastError?.contains("rate limited") == true
        }
        let waiting = try await harness.latestItem(of: key)
        #expect(waiting.state == .pending)
        #expect(waiting.attempts == 0)
        #expect(abs(waiting.runAt.timeIntervalSince(limitedAt) - 7) < 0.01, "run at \(waiting.runAt), limited at \(limitedAt)")
        // The pause is the source's, for every process on the database, not only this worker's.
        let pause = try #require(try await harness.store.budgetStatus(now: harness.clock.now).first { $0.source == source })
        #expect(abs((pause.pausedUntil ?? .distantPast).timeIntervalSince(limitedAt) - 7) < 0.01)
        #expect(pause.pauseReason?.contains("429") == true || pause.pauseReason?.isEmpty == false)
        #expect(pause.inFlight == 0, "the 429's slot was given back")

        harness.clock.advance(by: .seconds(8))
        try await harness.run(sources: [harness.source(source, kind: kind)]) {
            try await harness.mirror.row(key) != nil
        }
        #expect(try await harness.latestItem(of: key).attempts == 0)
        #expect(harness.transport.requests(endingWith: path).count == 2)
    }

    @Test func aServerErrorIsRetriedAfterBackoffThenSucceeds() async throws {
        let harness = try WorkerHarness(transport: ScriptedTransport(fallback: Self.entity))
        harness.transport.script("/customers/33", Entity.status(503, body: "maintenance"))
        _ = try await harness.store.enqueue([harness.database.envelope("33", .update, type: "customer", source: "economic")])
        let failedAt = harness.clock.now
        try await harness.run(sources: [harness.source("economic", kind: .economic)]) {
            try await harness.latestItem(of: Self.economic).attempts == 1
        }
        let failed = try await harness.latestItem(of: Self.economic)
        #expect(failed.state == .pending)
        #expect(failed.lastError?.contains("503") == true)
        // Full jitter: anywhere from now to the first ceiling (backoff_base = 1s).
        #expect(failed.runAt >= failedAt && failed.runAt <= failedAt.addingTimeInterval(1))

        harness.clock.advance(by: .seconds(1))
        try await harness.run(sources: [harness.source("economic", kind: .economic)]) {
            try await harness.latestItem(of: Self.economic).state == .done
        }
        #expect(try await harness.mirror.row(Self.economic) != nil)
    }

    @Test func anItemThatKeepsFailingIsDeadLetteredAndCanBeRetriedByAPerson() async throws {
        let harness = try WorkerHarness(transport: ScriptedTransport(fallback: Self.entity))
        harness.transport.script("/customers/33", Entity.status(500), Entity.status(500), Entity.status(500))
        _ = try await harness.store.enqueue([harness.database.envelope("33", .update, type: "customer", source: "economic")])
        let settings = WorkerHarness.settings(maxAttempts: 3)
        for attempt in 1...3 {
            try await harness.run(sources: [harness.source("economic", kind: .economic)], settings: settings) {
                let item = try await harness.latestItem(of: Self.economic)
                return item.attempts == attempt || item.state == .dead
            }
            harness.clock.advance(by: .seconds(60))
        }
        let dead = try await harness.latestItem(of: Self.economic)
        #expect(dead.state == .dead)
        #expect(dead.lastError?.contains("gave up after 3 attempts") == true)

        #expect(try await harness.store.retryDeadLetter(id: dead.id))
        try await harness.run(sources: [harness.source("economic", kind: .economic)], settings: settings) {
            try await harness.latestItem(of: Self.economic).state == .done
        }
        #expect(try await harness.mirror.row(Self.economic) != nil)
    }

    /// Precoro fetches documents by idn, which a webhook may leave out: retrying cannot help, so the
    /// item is dead-lettered on its first try, saying where the entity will come from instead.
    @Test func aPrecoroDocumentWithoutAnIdnIsDeadLetteredAtOnceWithoutAFetch() async throws {
        let harness = try WorkerHarness(transport: ScriptedTransport(fallback: Self.entity))
        let key = EntityKey(source: "precoro", type: "purchase_order", id: "900")
        _ = try await harness.store.enqueue([harness.database.envelope("900", .update, type: "purchase_order", source: "precoro")])
        try await harness.run(sources: [harness.source("precoro", kind: .precoro)]) {
            try await harness.latestItem(of: key).state == .dead
        }
        let dead = try await harness.latestItem(of: key)
        #expect(dead.lastError?.contains("carried no idn") == true)
        #expect(dead.lastError?.contains("gave up after") == false, "not retried first")
        #expect(harness.transport.requests(endingWith: "/purchaseorders/900").isEmpty, "fetching a document by id would 404 and tombstone it")
        #expect(try await harness.mirror.row(key) == nil)

        // The next webhook that names the idn is not absorbed by the dead item: it is fetched.
        _ = try await harness.store.enqueue([harness.database.envelope("900", .update, type: "purchase_order", source: "precoro", extras: ["idn": "5"])])
        try await harness.run(sources: [harness.source("precoro", kind: .precoro)]) {
            try await harness.mirror.row(key) != nil
        }
        #expect(try await harness.latestItem(of: key).state == .done)
        #expect(harness.transport.requests(endingWith: "/purchaseorders/5").count == 1)
    }

    @Test func refusedCredentialsPauseTheSourceWithoutBurningAttemptsUntilAProbeSucceeds() async throws {
        let harness = try WorkerHarness(transport: ScriptedTransport(fallback: Self.entity))
        harness.transport.script("/customers/1", Entity.status(401, body: #"{"message":"token expired"}"#))
        let envelopes = (1...5).map { harness.database.envelope(String($0), .update, type: "customer", source: "economic") }
        _ = try await harness.store.enqueue(envelopes)
        let settings = WorkerHarness.settings(concurrency: 1)
        let source = try harness.source("economic", kind: .economic, limits: WorkerHarness.limits(cooldown: .seconds(30)))
        try await harness.run(sources: [source], settings: settings) {
            let status = try await harness.store.status()
            return status.sources.first?.circuit == .open && status.work.pending == 5
        }
        let paused = try await harness.store.status()
        #expect(paused.sources.first?.circuitReason?.contains("token expired") == true)
        #expect(harness.transport.requestCount == 1, "an open circuit sends nothing more")
        for id in 1...5 {
            #expect(try await harness.latestItem(of: EntityKey(source: "economic", type: "customer", id: String(id))).attempts == 0)
        }

        harness.clock.advance(by: .seconds(31))
        try await harness.run(sources: [source], settings: settings) {
            try await harness.store.status().work.done == 5
        }
        let resumed = try await harness.store.status()
        #expect(resumed.sources.first?.circuit == .closed)
        #expect(resumed.sources.first?.circuitReason == nil)
    }

    @Test func aRunOfServerErrorsOpensTheCircuitSoOtherItemsKeepTheirAttempts() async throws {
        let harness = try WorkerHarness(transport: ScriptedTransport { url in
            url.hasSuffix("/oauth/token") ? WorkerOutcomeTests.entity(url) : Entity.status(502, body: "bad gateway")
        })
        _ = try await harness.store.enqueue((1...10).map { harness.database.envelope(String($0), .update, type: "customer", source: "economic") })
        let source = try harness.source("economic", kind: .economic, limits: WorkerHarness.limits(failures: 3))
        try await harness.run(sources: [source], settings: WorkerHarness.settings(concurrency: 1)) {
            try await harness.store.status().sources.first?.circuit == .open
        }
        var attempted = 0
        for id in 1...10 {
            attempted += try await harness.latestItem(of: EntityKey(source: "economic", type: "customer", id: String(id))).attempts
        }
        #expect(attempted == 3, "only the failures that opened the circuit count")
        #expect(try await harness.store.status().sources.first?.circuitReason?.contains("3 failures in a row") == true)
    }

    @Test func aBurstOnFewEntitiesCoalescesIntoAFewFetchesEach() async throws {
        let harness = try WorkerHarness(transport: ScriptedTransport(latency: .milliseconds(2), fallback: Self.entity))
        var envelopes: [EventEnvelope] = []
        for round in 0..<100 {
            for entity in 0..<100 {
                envelopes.append(harness.database.envelope(String(entity), round == 0 ? .create : .update, type: "customer", source: "economic"))
            }
        }
        let accepted = try await harness.store.enqueue(envelopes).accepted
        #expect(accepted == 10_000)
        try await harness.run(sources: [harness.source("economic", kind: .economic)], settings: WorkerHarness.settings(concurrency: 16), timeout: .seconds(30)) {
            let status = try await harness.store.status()
            return status.work.pending + status.work.inFlight + status.work.queued == 0
        }
        let fetches = harness.transport.requestCount
        #expect(fetches >= 100 && fetches <= 300, "\(fetches) fetches for 100 entities")
        #expect(harness.transport.maxInFlightOfOneURL == 1, "two fetches of one entity ran at once")
        #expect(try await harness.mirror.rows(source: "economic", type: "customer").count == 100)
    }

    @Test func anItemOfAnUnconfiguredSourceIsDeadLetteredWithTheReason() async throws {
        let harness = try WorkerHarness(transport: ScriptedTransport(fallback: Self.entity))
        _ = try await harness.store.enqueue([harness.database.envelope("1", .update, type: "invoice", source: "retired")])
        try await harness.run(sources: [harness.source("economic", kind: .economic)]) {
            try await harness.store.status().work.dead == 1
        }
        let dead = try await harness.latestItem(of: EntityKey(source: "retired", type: "invoice", id: "1"))
        #expect(dead.lastError?.contains("source retired is not in the configuration") == true)
    }
}
