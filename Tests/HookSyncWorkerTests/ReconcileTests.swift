import Foundation
import HookSyncConfig
import HookSyncCore
import HookSyncProviders
import HookSyncSQLite
import HookSyncTestSupport
@testable import HookSyncWorker
import Synchronization
import Testing

/// An upstream that lists by modification time with offset paging, exactly as the providers do, and
/// lets a test change it between pages (the drift a real listing suffers while it is read).
final class FakeUpstream: ProviderAPI {
    struct Row { var name: String; var modified: Date }
    struct State {
        var rows: [String: Row] = [:]
        var pagesServed = 0
        var beforePage: [Int: @Sendable (FakeUpstream) -> Void] = [:]
        var failPage: [Int: ProviderAPIError] = [:]
        /// While set, every request for that page is answered 429 with this retry-after: a limit that
        /// lasts until the test lifts it, however slowly the test itself gets scheduled.
        var rateLimitPageUntilLifted: (page: Int, retryAfter: Duration)?
        var rateLimitedAnswers = 0
        var lastQueries: [ListingQuery] = []
        /// How long each page takes to come.
        var latency: Duration = .zero
        /// For each request, the event loop it was made on (nil: not on one).
        var requestLoops: [ObjectIdentifier?] = []
    }
    private let state = Mutex(State())
    let source: String

    init(source: String = "economic") { self.source = source }

    func with<T>(_ body: (inout State) throws -> T) rethrows -> T { try state.withLock { try body(&$0) } }

    func put(_ id: String, modified: Date, name: String = "x") {
        with { $0.rows[id] = Row(name: name, modified: modified) }
    }
    func remove(_ id: String) { with { _ = $0.rows.removeValue(forKey: id) } }
    var pagesServed: Int { with { $0.pagesServed } }

    var listingPaging: ListingPaging { .offset(maxPageSize: 1_000) }

    func list(_ query: ListingQuery) async throws -> ListingPage {
        let loop = EventLoopTaskExecutor.currentEventLoop.map(ObjectIdentifier.init)
        with { $0.requestLoops.append(loop) }
        let hook = with { state -> (@Sendable (FakeUpstream) -> Void)? in state.beforePage.removeValue(forKey: state.pagesServed) }
        hook?(self)
        let latency = with { $0.latency }
        if latency > .zero { try await Task.sleep(for: latency) }
        return try with { state in
            state.lastQueries.append(query)
            if let failure = state.failPage.removeValue(forKey: state.pagesServed) { throw failure }
            if let held = state.rateLimitPageUntilLifted, held.page == state.pagesServed {
                state.rateLimitedAnswers += 1
                throw ProviderAPIError.rateLimited(retryAfter: held.retryAfter, detail: "held by the test")
            }
            state.pagesServed += 1
            let matching = state.rows
                .filter { query.since == nil || $0.value.modified >= query.since! }
                .sorted { ($0.value.modified, $0.key) < ($1.value.modified, $1.key) }
            let slice = matching.dropFirst(query.page * query.pageSize).prefix(query.pageSize)
            let rows = slice.map { id, row in
                let json: [String: Any] = ["id": id, "name": row.name, "modified": row.modified.timeIntervalSince1970]
                return ListedEntity(
                    key: EntityKey(source: source, type: "customer", id: id),
                    json: try! JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), remoteModifiedAt: row.modified)
            }
            return ListingPage(rows: rows, hasMore: query.page * query.pageSize + rows.count < matching.count, total: matching.count)
        }
    }

    func fetch(_ key: EntityKey, extras: [String: String]) async throws -> FetchResult { .gone }
}

@Suite struct ReconcileTests {
    let database: TemporaryDatabase
    let mirror: MirrorStore
    let upstream = FakeUpstream()
    let base = Date(timeIntervalSince1970: 1_767_225_600)  // the manual clock's start

    init() throws {
        database = try TemporaryDatabase()
        mirror = try MirrorStore.open(path: database.folder.appending(path: "mirror.sqlite").path, options: SQLiteOptions(synchronous: .normal))
    }

    func reconciler(
        pageSize: Int = 10, owner: String = "test", lockTimeout: Duration = .seconds(300), lookback: Duration = .seconds(3_600),
        maxClockSkew: Duration = .seconds(60)
    ) -> Reconciler {
        var source = SourceConfiguration(name: "economic", kind: .economic, limits: WorkerHarness.limits())
        source.reconcile.lookback = lookback
        source.reconcile.maxClockSkew = maxClockSkew
        return Reconciler(
            store: database.store, source: source, api: upstream, mirror: mirror, sink: mirror, clock: database.clock,
            owner: owner, lockTimeout: lockTimeout, pageSize: pageSize)
    }

    /// The mirror's live rows as id → name.
    func mirrored() async throws -> [String: String] {
        var result: [String: String] = [:]
        for row in try await mirror.rows(source: "economic", type: "customer") where !row.deleted {
            let object = try JSONSerialization.jsonObject(with: row.data!) as! [String: Any]
            result[row.key.id] = object["name"] as? String
        }
        return result
    }

    func upstreamTruth() -> [String: String] {
        upstream.with { $0.rows.mapValues(\.name) }
    }

    @Test func oneReconcileCatchesUpTheWebhooksThatWereDropped() async throws {
        // 100 entities; the worker synced 70 of them from webhooks, 30 webhooks were lost.
        for index in 0..<100 { upstream.put("c\(index)", modified: base.addingTimeInterval(Double(-index * 7))) }
        let synced = try await upstream.list(ListingQuery(type: "customer", since: nil, pageSize: 1_000)).rows.filter { _ in Int.random(in: 0..<10) >= 3 }
        try await mirror.write(synced.map { SyncRecord(key: $0.key, change: .live(json: $0.json, remoteModifiedAt: $0.remoteModifiedAt), syncedAt: base) })

        let summary = try await reconciler().run(type: "customer", mode: .incremental)
        #expect(try await mirrored() == upstreamTruth())
        #expect(summary.counts.listed == 100)
        #expect(summary.counts.changed == 100 - synced.count, "unchanged rows cost nothing but the listing")
        #expect(try await database.store.watermark(source: "economic", type: "customer") == base.addingTimeInterval(-60))
    }

    @Test func theNextPassListsOnlyFromTheWatermarkMinusTheLookback() async throws {
        upstream.put("old", modified: base.addingTimeInterval(-86_400))
        _ = try await reconciler().run(type: "customer", mode: .incremental)
        database.clock.advance(by: .seconds(7_200))
        upstream.put("new", modified: database.clock.now)
        let summary = try await reconciler().run(type: "customer", mode: .incremental)
        #expect(summary.counts.listed == 1)
        let since = try #require(upstream.with { $0.lastQueries.first { $0.page == 0 && $0.since != nil } }?.since)
        #expect(since == base.addingTimeInterval(-60 - 3_600))
    }

    /// Precoro and e-conomic stamp whole seconds: a change made in the watermark's second, after the
    /// pass that set it had listed that second, carries a time before the watermark. The next pass
    /// lists from the start of that second, and not a second earlier.
    @Test func aChangeStampedWithTheWatermarksOwnSecondIsListedByTheNextPass() async throws {
        // No lookback, a skew of 0.3 s: the watermark falls 700 ms into a second.
        let reconciler = reconciler(lookback: .zero, maxClockSkew: .milliseconds(300))
        upstream.put("early", modified: base.addingTimeInterval(-10))
        _ = try await reconciler.run(type: "customer", mode: .incremental)
        let watermark = try await database.store.watermark(source: "economic", type: "customer")
        #expect(watermark.map { Int64(($0.timeIntervalSince1970 * 1_000).rounded()) } == Int64(base.timeIntervalSince1970) * 1_000 - 300)

        upstream.put("same-second", modified: base.addingTimeInterval(-1), name: "in the watermark's second")
        upstream.put("second-before", modified: base.addingTimeInterval(-2), name: "before it")
        database.clock.advance(by: .seconds(60))
        let summary = try await reconciler.run(type: "customer", mode: .incremental)
        let since = try #require(upstream.with { $0.lastQueries.last { $0.page == 0 } }?.since)
        #expect(since == base.addingTimeInterval(-1))
        #expect(summary.counts.listed == 1)
        #expect(try await mirrored()["same-second"] == "in the watermark's second")
    }

    @Test func rowsSharingATimestampAcrossAPageBoundaryAreEachSyncedOnce() async throws {
        // 25 rows in the same second, pages of 10: keyset on time alone cannot move, so paging goes on within the second.
        for index in 0..<25 { upstream.put(String(format: "s%02d", index), modified: base.addingTimeInterval(-100)) }
        for index in 0..<5 { upstream.put("later\(index)", modified: base.addingTimeInterval(Double(-50 + index))) }
        let summary = try await reconciler(pageSize: 10).run(type: "customer", mode: .incremental)
        #expect(summary.counts.listed == 30)
        #expect(try await mirrored().count == 30)
    }

    /// Without a mirror to say what is already stored, the rows handed to the sink show the boundary
    /// filter at work: a page at a keyset second re-lists the rows of that second already synced, and
    /// those must reach the sink once, not once per page.
    @Test func rowsReListedAtTheKeysetSecondReachASinkOnce() async throws {
        for index in 0..<25 { upstream.put(String(format: "s%02d", index), modified: base.addingTimeInterval(-100)) }
        for index in 0..<15 { upstream.put("later\(index)", modified: base.addingTimeInterval(Double(-50 + index / 3))) }
        let sink = RecordingSink()
        var source = SourceConfiguration(name: "economic", kind: .economic, limits: WorkerHarness.limits())
        source.reconcile.lookback = .seconds(3_600)
        let reconciler = Reconciler(store: database.store, source: source, api: upstream, mirror: nil, sink: sink, clock: database.clock,
                                    owner: "test", pageSize: 10)
        let summary = try await reconciler.run(type: "customer", mode: .incremental)
        let written = sink.keys.withLock { $0.map(\.id) }
        #expect(written.count == 40, "each row once: \(written.sorted())")
        #expect(Set(written).count == 40)
        #expect(summary.counts.changed == 40)
    }

    @Test func rowsChangedWhileThePassPagesAreNeitherSkippedNorLost() async throws {
        for index in 0..<40 { upstream.put(String(format: "d%02d", index), modified: base.addingTimeInterval(Double(-1_000 + index))) }
        // Between pages 1 and 2, the first rows are modified (they move to the end) and a row is inserted:
        // with offset paging this would skip rows; keyset paging must not.
        upstream.with { state in
            state.beforePage[1] = { upstream in
                for index in 0..<5 { upstream.put(String(format: "d%02d", index), modified: Date(timeIntervalSince1970: 1_767_225_600 - 10), name: "changed") }
                upstream.put("inserted", modified: Date(timeIntervalSince1970: 1_767_225_600 - 5))
            }
        }
        _ = try await reconciler(pageSize: 10).run(type: "customer", mode: .incremental)
        #expect(try await mirrored() == upstreamTruth())
    }

    @Test func kladanaListingsAreReadInMoscowTime() async throws {
        let transport = ScriptedTransport { _ in
            Entity.json(["meta": ["size": 1, "limit": 1000, "offset": 0], "rows": [["id": "k1", "updated": "2026-01-01 03:00:00.250", "name": "x"]]])
        }
        let api = try ProviderAPIs.make(kind: .kladana, settings: APISettings(source: "kladana", values: ["base_url": "http://kladana.test/api/remap/1.2", "token": "t"]), transport: transport)
        let page = try await api.list(ListingQuery(type: "customerorder", since: Date(timeIntervalSince1970: 1_767_225_600), pageSize: 1_000))
        #expect(page.rows.first?.remoteModifiedAt == Date(timeIntervalSince1970: 1_767_225_600.25), "03:00 Moscow is midnight UTC")
        let url = try #require(transport.state.withLock { $0.requests.first?.url })
        #expect(url.contains("filter=updated%3E%3D2026-01-01%2003%3A00%3A00"), "the bound goes out in Moscow time: \(url)")
    }

    @Test func onlyAFullListingTombstonesWhatUpstreamNoLongerHas() async throws {
        for index in 0..<20 { upstream.put("f\(index)", modified: base.addingTimeInterval(Double(-500 + index))) }
        _ = try await reconciler().run(type: "customer", mode: .incremental)
        upstream.remove("f3")
        upstream.remove("f11")
        database.clock.advance(by: .seconds(10))

        let incremental = try await reconciler().run(type: "customer", mode: .incremental)
        #expect(incremental.counts.deleted == 0)
        #expect(try await mirrored().count == 20, "an incremental listing never implies a deletion")

        let full = try await reconciler().run(type: "customer", mode: .full)
        #expect(full.counts.deleted == 2)
        #expect(try await mirrored() == upstreamTruth())
        #expect(try await mirror.row(EntityKey(source: "economic", type: "customer", id: "f3"))?.deleted == true)
    }

    @Test func aPassThatDiesIsResumedFromItsLastCommittedPage() async throws {
        for index in 0..<50 { upstream.put(String(format: "r%02d", index), modified: base.addingTimeInterval(Double(-1_000 + index))) }
        upstream.with { $0.failPage[3] = .rejected("connection reset in the middle of page 4") }
        // A pass that fails outright records the failure and releases the lock...
        await #expect(throws: ReconcileError.self) { try await reconciler(pageSize: 10).run(type: "customer", mode: .incremental) }
        #expect(try await database.store.recentPasses(limit: 1).first?.state == "failed")
        #expect(try await database.store.watermark(source: "economic", type: "customer") == nil, "no watermark from a failed pass")
        // ...and a rerun lists again, losing nothing.
        _ = try await reconciler(pageSize: 10).run(type: "customer", mode: .incremental)
        #expect(try await mirrored().count == 50)
    }

    @Test func aSecondConcurrentPassIsRefusedUntilTheFirstHolderIsPresumedDead() async throws {
        for index in 0..<30 { upstream.put("p\(index)", modified: base.addingTimeInterval(Double(-1_000 + index))) }
        // A holder that crashed after committing two pages: its row still says running.
        let plan = ReconcilePassPlan(source: "economic", type: "customer", mode: .incremental, listedFrom: nil, upperBound: base)
        let crashed = try await database.store.beginPass(plan, owner: "crashed-host:1", now: base, staleAfter: .seconds(300))
        let firstPages = try await upstream.list(ListingQuery(type: "customer", since: nil, page: 0, pageSize: 20)).rows
        _ = try await mirror.applyListing(firstPages, pass: crashed.id, syncedAt: base)
        _ = try await database.store.recordPage(crashed.id, owner: "crashed-host:1", position: ListingPosition(since: firstPages.last!.remoteModifiedAt!, page: 0),
                                                counts: ReconcileCounts(pages: 2, listed: 20, changed: 20), now: base)

        await #expect(throws: ReconcileLockError.self) { try await reconciler(owner: "second").run(type: "customer", mode: .incremental) }

        database.clock.advance(by: .seconds(301))
        let resumed = try await reconciler(owner: "second").run(type: "customer", mode: .incremental)
        #expect(resumed.resumed)
        #expect(resumed.passID == crashed.id)
        #expect(resumed.counts.listed == 30, "20 from the dead holder's pages, 10 more from where it stopped")
        #expect(try await mirrored().count == 30)
    }

    @Test func aLivePassWaitingOutARateLimitKeepsItsLock() async throws {
        // The other run lists from an unlimited twin, so a wrongful takeover returns instead of waiting too.
        let unlimitedTwin = FakeUpstream()
        for index in 0..<30 {
            for upstream in [upstream, unlimitedTwin] { upstream.put("w\(index)", modified: base.addingTimeInterval(Double(-1_000 + index))) }
        }
        upstream.with { $0.rateLimitPageUntilLifted = (page: 1, retryAfter: .milliseconds(200)) }
        var source = SourceConfiguration(name: "economic", kind: .economic, limits: WorkerHarness.limits())
        source.reconcile.maxClockSkew = .seconds(60)
        // Real time here: the waiting pass must outlast the other run's lock timeout. It heartbeats
        // every 100 ms (a quarter of its own timeout); the other presumes it dead after 3 s of silence,
        // which is all its page records would leave by the time the other tries. The limit holds until
        // lifted, so a slowly scheduled test waits longer but never finds the pass already finished.
        func reconciler(_ owner: String, lockTimeout: Duration, api: FakeUpstream) -> Reconciler {
            Reconciler(store: database.store, source: source, api: api, mirror: mirror, sink: mirror, clock: SystemWallClock(),
                       owner: owner, lockTimeout: lockTimeout, pageSize: 10)
        }
        let patient = reconciler("patient", lockTimeout: .milliseconds(400), api: upstream)
        let impatient = reconciler("impatient", lockTimeout: .seconds(3), api: unlimitedTwin)
        let waiting = Task { try await patient.run(type: "customer", mode: .incremental) }
        try await waitUntil("the first pass meets the rate limit") { upstream.with { $0.rateLimitedAnswers } >= 1 }
        try await Task.sleep(for: .milliseconds(3_500))
        await #expect(throws: ReconcileLockError.self, "the waiting pass heartbeats, so it is not taken for dead") {
            try await impatient.run(type: "customer", mode: .incremental)
        }
        upstream.with { $0.rateLimitPageUntilLifted = nil }
        let summary = try await waiting.value
        #expect(summary.counts.listed == 30 && !summary.resumed)
        #expect(upstream.with { $0.rateLimitedAnswers } >= 2, "the pass kept waiting, asking again after each retry-after")
    }

    @Test func aCancelledPassIsLetGoOfAndTheNextRunResumesItAtOnce() async throws {
        for index in 0..<30 { upstream.put("i\(index)", modified: base.addingTimeInterval(Double(-1_000 + index))) }
        upstream.with { $0.rateLimitPageUntilLifted = (page: 2, retryAfter: .milliseconds(50)) }
        let first = Task { try await reconciler(pageSize: 10, owner: "interrupted-host:7").run(type: "customer", mode: .incremental) }
        try await waitUntil("the pass waits for its third page") { upstream.with { $0.rateLimitedAnswers } >= 1 }
        try await waitUntil("the first two pages are committed") { try await database.store.recentPasses(limit: 1).first?.counts.pages == 2 }
        first.cancel()
        do {
            _ = try await first.value
            Issue.record("a cancelled pass finished")
        } catch ReconcileError.interrupted(_, _, _, let resumable) {
            #expect(resumable)
        }
        let left = try #require(try await database.store.recentPasses(limit: 1).first)
        #expect(left.state == "interrupted")
        #expect(left.counts.pages == 2)
        #expect(try await database.store.heartbeat(left.id, owner: "interrupted-host:7", now: database.clock.now) == false,
                "its holder has let go: it cannot claim the pass back")

        upstream.with { $0.rateLimitPageUntilLifted = nil }
        // No time passes: a released pass is not waited out like a silent one.
        let resumed = try await reconciler(pageSize: 10, owner: "next").run(type: "customer", mode: .incremental)
        #expect(resumed.resumed && resumed.passID == left.id)
        #expect(resumed.counts.listed == 30)
        #expect(try await mirrored().count == 30)
    }

    @Test func aHolderThatWasTakenOverCanNeitherRecordPagesNorHeartbeat() async throws {
        let plan = ReconcilePassPlan(source: "economic", type: "customer", mode: .incremental, listedFrom: nil, upperBound: base)
        let pass = try await database.store.beginPass(plan, owner: "stalled", now: base, staleAfter: .seconds(300))
        database.clock.advance(by: .seconds(301))
        let successor = try await database.store.beginPass(plan, owner: "successor", now: database.clock.now, staleAfter: .seconds(300))
        #expect(successor.id == pass.id && successor.resumed)
        let now = database.clock.now
        #expect(try await database.store.recordPage(pass.id, owner: "stalled", position: ListingPosition(since: nil, page: 9), counts: ReconcileCounts(), now: now) == false)
        #expect(try await database.store.heartbeat(pass.id, owner: "stalled", now: now) == false)
        #expect(try await database.store.heartbeat(pass.id, owner: "successor", now: now))
        #expect(try await database.store.recentPasses(limit: 1).first?.position.page == 0, "the stalled holder recorded nothing")
    }

    @Test func aStalledHolderWhoseListingFailsAfterATakeoverLeavesTheSuccessorsPassRunning() async throws {
        for index in 0..<30 { upstream.put("s\(index)", modified: base.addingTimeInterval(Double(-1_000 + index))) }
        upstream.with { $0.rateLimitPageUntilLifted = (page: 1, retryAfter: .milliseconds(50)) }
        let stalled = Task { try await reconciler(pageSize: 10, owner: "stalled").run(type: "customer", mode: .incremental) }
        try await waitUntil("the pass stalls on its second page") { upstream.with { $0.rateLimitedAnswers } >= 1 }

        database.clock.advance(by: .seconds(301))
        let plan = ReconcilePassPlan(source: "economic", type: "customer", mode: .incremental, listedFrom: nil, upperBound: base)
        let successor = try await database.store.beginPass(plan, owner: "successor", now: database.clock.now, staleAfter: .seconds(300))
        #expect(successor.resumed)
        // The stalled holder wakes to a listing that fails for good, and records the failure.
        upstream.with {
            $0.failPage[1] = .rejected("the stalled holder's request is refused")
            $0.rateLimitPageUntilLifted = nil
        }
        await #expect(throws: (any Error).self) { try await stalled.value }

        let pass = try #require(try await database.store.recentPasses(limit: 1).first)
        #expect(pass.id == successor.id)
        #expect(pass.state == "running" && pass.owner == "successor", "the successor's pass goes on")
        #expect(try await database.store.finishPass(pass.id, owner: "stalled", counts: ReconcileCounts(), watermark: base, now: database.clock.now) == false)
        #expect(try await database.store.watermark(source: "economic", type: "customer") == nil, "nor did the stalled holder move the watermark")
        #expect(try await database.store.finishPass(pass.id, owner: "successor", counts: ReconcileCounts(), watermark: base, now: database.clock.now))
    }

    /// A keyset query's count is of the rows from its second on, so the provider's count shrinks page
    /// by page; the progress must still add up to the whole listing, or the ETA runs to zero halfway.
    @Test func theProgressCountsWhatTheListingStillHoldsAcrossKeysetAndSameSecondPages() async throws {
        for index in 0..<40 { upstream.put("t\(index)", modified: base.addingTimeInterval(Double(-1_000 + index))) }
        for index in 0..<25 { upstream.put(String(format: "s%02d", index), modified: base.addingTimeInterval(-500)) }
        for index in 0..<35 { upstream.put("u\(index)", modified: base.addingTimeInterval(Double(-400 + index))) }
        let seen = Mutex<[ReconcileProgress]>([])
        // Pages of 3: some 45 pages, more than one write can take (a page, and up to `pagesAhead`
        // that join it), so there are reports before the end.
        var reconciler = reconciler(pageSize: 3)
        reconciler.onProgress = { progress in seen.withLock { $0.append(progress) } }
        let summary = try await reconciler.run(type: "customer", mode: .incremental)
        #expect(summary.counts.listed == 100)
        #expect(summary.counts.pages > 2 * (Reconciler.pagesAhead + 1))
        let progress = seen.withLock { $0 }
        // Pages that arrive while a write commits are reported together, so there are fewer reports
        // than pages; at least one comes while rows remain.
        #expect(progress.contains { ($0.remaining ?? 0) > 0 })
        for step in progress {
            #expect(step.listed + (step.remaining ?? -1) == 100, "page \(step.pages): \(step.listed) listed, \(String(describing: step.remaining)) to come")
        }
        #expect(progress.last?.remaining == 0)
    }

    @Test func theProgressLineGivesTheApproximateTotalAndAnETAOnlyWhileRowsRemain() {
        func line(listed: Int, remaining: Int?, rate: Double?) -> String {
            ReconcileProgress(source: "economic", type: "customer", pages: 125, listed: listed, changed: 7,
                              remaining: remaining, rowsPerSecond: rate).description
        }
        #expect(line(listed: 124_876, remaining: 175_124, rate: 146_733)
            == "economic/customer: page 125, 124876 of ~300000 rows, 7 changed, 146733 rows/s, ETA 2s")
        #expect(line(listed: 10, remaining: 200, rate: 1).hasSuffix(", ETA 3m20s"))
        #expect(line(listed: 10, remaining: 3_900, rate: 1).hasSuffix(", ETA 1h05m"))
        #expect(line(listed: 10, remaining: 0, rate: 5) == "economic/customer: page 125, 10 rows, 7 changed, 5 rows/s")
        #expect(line(listed: 10, remaining: nil, rate: nil) == "economic/customer: page 125, 10 rows, 7 changed")
    }

    @Test func aRateLimitInTheMiddleOfAListingWaitsAndGoesOn() async throws {
        for index in 0..<30 { upstream.put("l\(index)", modified: base.addingTimeInterval(Double(-1_000 + index))) }
        upstream.with { $0.failPage[1] = .rateLimited(retryAfter: .milliseconds(50), detail: "slow down") }
        let summary = try await reconciler(pageSize: 10).run(type: "customer", mode: .incremental)
        #expect(summary.counts.listed == 30)
        #expect(try await mirrored().count == 30)
    }

    /// A writer that keeps up with the listing would write each page alone, a commit apiece; it waits
    /// a moment (`writeLinger`, long here so that a slow test machine cannot outlast it: each page also
    /// takes a budget acquisition, and at 100 ms a loaded machine wrote 11 times) for the pages that
    /// follow, and writes them together.
    @Test func aWriterThatKeepsUpWithTheListingWaitsForMorePagesBeforeItCommits() async throws {
        for index in 0..<300 { upstream.put("k\(index)", modified: base.addingTimeInterval(Double(-1_000 + index))) }
        upstream.with { $0.latency = .milliseconds(3) }
        let sink = RecordingSink()
        var reconciler = reconciler(pageSize: 10)
        reconciler.mirror = nil
        reconciler.sink = sink
        reconciler.writeLinger = .milliseconds(500)
        let summary = try await reconciler.run(type: "customer", mode: .incremental)
        #expect(summary.counts.listed == 300)
        #expect(sink.rowsPerWrite.reduce(0, +) == 300)
        // 34 pages, each 3 ms or more after the last: a write apiece without the linger.
        #expect(summary.counts.pages == 34)
        #expect(sink.rowsPerWrite.count <= summary.counts.pages / 4, "rows per write: \(sink.rowsPerWrite)")
    }

    @Test func theListingsRequestsAreAllMadeFromOneEventLoop() async throws {
        for index in 0..<100 { upstream.put("e\(index)", modified: base.addingTimeInterval(Double(-1_000 + index))) }
        upstream.with { $0.latency = .milliseconds(1) }
        let summary = try await reconciler(pageSize: 10).run(type: "customer", mode: .incremental)
        #expect(summary.counts.listed == 100)
        let loops = upstream.with { $0.requestLoops }
        #expect(loops.count == summary.counts.pages)
        #expect(loops.allSatisfy { $0 != nil }, "requests made off an event loop: \(loops.filter { $0 == nil }.count)")
        #expect(Set(loops).count == 1)
    }

    @Test func pagesListedWhileAWriteCommitsAreWrittenTogetherAndTheListingStaysBoundedAhead() async throws {
        // Long enough that the listing cannot all fit in the first write (a page, and what joined it
        // while it lingered: up to `pagesAhead` more), the hand-off behind it, and the page in hand.
        for index in 0..<1_000 { upstream.put("p\(index)", modified: base.addingTimeInterval(Double(-10_000 + index))) }
        let sink = HeldFirstWrite(upstream: upstream)
        var reconciler = reconciler(pageSize: 10)
        reconciler.mirror = nil
        reconciler.sink = sink
        reconciler.observeHandOff = { pages in sink.handOff.withLock { $0 = pages } }
        let summary = try await reconciler.run(type: "customer", mode: .incremental)
        #expect(summary.counts.listed == 1_000)
        #expect(summary.counts.pages == 111)
        let writes = sink.rowsPerWrite
        #expect(writes.reduce(0, +) == 1_000)
        try #require(writes.count >= 2)
        // Every page after the first starts with the last row of the one before (its keyset second
        // is listed again), so it brings 9 new rows.
        let pagesInFirstWrite = 1 + (writes[0] - 10) / 9
        // While the first write was held, the listing ran ahead until the hand-off was full and one
        // more page was in hand, and no further; the next write took every page that had waited.
        #expect(sink.pagesServedWhileHeld == pagesInFirstWrite + Reconciler.pagesAhead + 1)
        #expect(writes[1] == 9 * Reconciler.pagesAhead)
    }
}

/// A sink that keeps the keys it was given, in order, and how many each write held.
final class RecordingSink: Sink {
    let keys = Mutex<[EntityKey]>([])
    private let writes = Mutex<[Int]>([])
    var rowsPerWrite: [Int] { writes.withLock { $0 } }
    func write(_ records: [SyncRecord]) async throws {
        keys.withLock { $0 += records.map(\.key) }
        writes.withLock { $0.append(records.count) }
    }
}

/// A sink whose first write waits until the listing has stopped (the pass's hand-off is full and its
/// producer waits for room, which only a write can make), and that records how many pages the upstream
/// had served by then and how many rows each write carried. A listing that never stops fails the test.
final class HeldFirstWrite: Sink {
    let upstream: FakeUpstream
    /// The pass's hand-off, shown by `Reconciler.observeHandOff`.
    let handOff = Mutex<BatchHandOff<Reconciler.ListedPage>?>(nil)
    private let state = Mutex<(writes: [Int], servedWhileHeld: Int)>(([], 0))

    init(upstream: FakeUpstream) { self.upstream = upstream }

    var rowsPerWrite: [Int] { state.withLock { $0.writes } }
    var pagesServedWhileHeld: Int { state.withLock { $0.servedWhileHeld } }

    func write(_ records: [SyncRecord]) async throws {
        if state.withLock({ $0.writes.isEmpty }) {
            let pages = try #require(handOff.withLock { $0 })
            // Only this write can make room, so once the producer waits it stays waiting: the count
            // read after it is final, however slowly this machine runs.
            try await waitUntil("the listing waits for room in the hand-off") { pages.producerIsWaiting }
            let served = upstream.pagesServed
            state.withLock { $0.servedWhileHeld = served }
        }
        state.withLock { $0.writes.append(records.count) }
    }
}
