public import Foundation
public import HookSyncConfig
public import HookSyncCore
public import HookSyncProviders
public import HookSyncSQLite
public import Logging

/// One reconciliation pass over one (source, type): lists what the provider says changed since the
/// watermark (minus the lookback), syncs every row newer than the mirror's copy, and only then moves
/// the watermark, to at most the pass's start minus the allowed clock skew.
///
/// Listing rows carry the whole entity, so they go straight to the sink: with the mirror, only rows
/// newer than the stored copy are written (as old and observed later counts as newer: see
/// `MirrorStore`); with another sink (no local copy to compare against) every listed row is sent,
/// stamped with when its page was received. A `--full` pass also tombstones mirrored entities the listing lacked.
///
/// Paging is by keyset, or by the provider's cursor where it has one (see `ListingQuery`), committed
/// a few pages at a time, so a pass that dies resumes at its last committed page when the next run
/// takes over its lock.
///
/// ```swift
/// let reconciler = Reconciler(store: store, source: config.source(named: "economic")!, api: api, mirror: mirror, sink: mirror)
/// let summary = try await reconciler.run(type: "customer", mode: .incremental)
/// ```
public struct Reconciler: Sendable {
    public var store: any ReconcileStore
    public var source: SourceConfiguration
    public var api: any ProviderAPI
    public var mirror: MirrorStore?
    public var sink: any Sink
    public var clock: any WallClock
    public var owner: String
    /// A running pass whose heartbeat is older than this is taken to be dead, and taken over.
    public var lockTimeout: Duration
    public var pageSize: Int
    public var logger: Logger
    /// Hears about every committed page.
    public var onProgress: @Sendable (ReconcileProgress) -> Void
    /// How long a write of fewer than `lingerBelow` pages waits for more to join its transaction: a
    /// few pages' time against a local listing, and nothing beside a remote provider's round trip.
    /// Fewer, larger transactions cost less CPU (docs/decisions.md#the-listing-runs-ahead-of-the-writes).
    public var writeLinger: Duration = .milliseconds(10)
    /// Shown each pass's hand-off between the listing and the writes as the pass makes it, so a test
    /// can wait on what the hand-off says (`producerIsWaiting`: the listing has run `pagesAhead` ahead
    /// and stopped) rather than on the clock. It only looks; nothing outside the tests sets it.
    var observeHandOff: @Sendable (BatchHandOff<ListedPage>) -> Void = { _ in }

    public init(
        store: any ReconcileStore, source: SourceConfiguration, api: any ProviderAPI, mirror: MirrorStore?, sink: any Sink,
        clock: any WallClock = SystemWallClock(), owner: String = WorkerSettings.defaultOwner(), lockTimeout: Duration = .seconds(300),
        pageSize: Int = 1_000, logger: Logger = Logger(label: "hooksync.reconcile"),
        onProgress: @escaping @Sendable (ReconcileProgress) -> Void = { _ in }
    ) {
        self.store = store
        self.source = source
        self.api = api
        self.mirror = mirror
        self.sink = sink
        self.clock = clock
        self.owner = owner
        self.lockTimeout = lockTimeout
        self.pageSize = pageSize
        self.logger = logger
        self.onProgress = onProgress
    }

    /// A failed listing request is tried this many times (with backoff) before the pass fails.
    static let requestAttempts = 5

    public func run(type: String, mode: ReconcileMode, since: Date? = nil) async throws -> ReconcileSummary {
        let startedAt = clock.now
        let listedFrom: Date? = switch mode {
        case .full: nil
        case .since: since
        case .incremental:
            // From the start of its second: Precoro and e-conomic stamp whole seconds, so a change made
            // in the watermark's second after the last pass had listed it carries a time before the
            // watermark, and a bound within that second would skip it.
            try await store.watermark(source: source.name, type: type).map {
                Date(timeIntervalSince1970: $0.addingTimeInterval(-source.reconcile.lookback.timeInterval).timeIntervalSince1970.rounded(.down))
            }
        }
        let plan = ReconcilePassPlan(source: source.name, type: type, mode: mode, listedFrom: listedFrom, upperBound: startedAt)
        let pass = try await beginPass(plan, now: startedAt)
        if pass.resumed {
            logger.notice("resuming a pass that was interrupted or whose holder died, at its last committed page", metadata: [
                "pass": "\(pass.id)", "source": "\(source.name)", "type": "\(type)", "pages_done": "\(pass.counts.pages)",
            ])
        }
        var counts = pass.counts
        // Between pages too: a listing that waits out a provider's rate limit must not look dead.
        let heartbeat = Task { [store, owner, clock, lockTimeout, logger] in
            let interval = max(lockTimeout / 4, .milliseconds(50))
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { return }
                do {
                    // False: another run took the pass over; the next page's record says so and stops this one.
                    guard try await store.heartbeat(pass.id, owner: owner, now: clock.now) else { return }
                } catch {
                    logger.warning("could not record the pass's heartbeat; trying again", metadata: ["error": "\(error)"])
                }
            }
        }
        defer { heartbeat.cancel() }
        // Only a full listing says what upstream no longer has, and only the mirror keeps what to tombstone.
        let tombstoning = pass.plan.mode == .full ? mirror : nil
        do {
            try await tombstoning?.beginFullPass(source: source.name, type: type, pass: pass.id, passStartedAt: pass.startedAt)
            try await list(pass: pass, counts: &counts)
            if let mirror = tombstoning {
                counts.deleted = try await mirror.tombstoneUnlisted(
                    source: source.name, type: type, pass: pass.id, passStartedAt: pass.startedAt, syncedAt: clock.now)
            }
            // Never past the pass's own start minus the skew: a row written upstream during the pass,
            // with a clock a little behind ours, is listed again next time rather than skipped.
            let watermark = pass.plan.upperBound.addingTimeInterval(-source.reconcile.maxClockSkew.timeInterval)
            guard try await store.finishPass(pass.id, owner: owner, counts: counts, watermark: watermark, now: clock.now) else {
                throw ReconcileError.lockLost(source: source.name, type: type)
            }
            return ReconcileSummary(passID: pass.id, source: source.name, type: type, mode: pass.plan.mode, counts: counts,
                                    duration: clock.now.timeIntervalSince(startedAt), resumed: pass.resumed)
        } catch ReconcileError.lockLost(let source, let type) {
            // The pass is the new holder's now (same row): recording a failure would end its run.
            throw ReconcileError.lockLost(source: source, type: type)
        } catch where Task.isCancelled {
            // Interrupted (Ctrl-C, a worker stopping), not failed: the pass is let go of as it stands, so
            // the next run takes it over at once and resumes at its last committed page. Stopped first,
            // the heartbeat cannot undo the release; and the release runs in a task of its own, which
            // the cancellation does not reach.
            heartbeat.cancel()
            await heartbeat.value
            let released = await Task { [store, owner] in try? await store.releasePass(pass.id, owner: owner) }.value
            throw ReconcileError.interrupted(source: source.name, type: type, pages: counts.pages, resumable: released == true)
        } catch {
            // Refused when another run took the pass over while this one stalled: that run's pass goes on.
            _ = try? await store.failPass(pass.id, owner: owner, counts: counts, error: "\(error)", now: clock.now)
            throw error
        }
    }

    /// Starts the pass, or takes over one whose holder is gone: silent for `lockTimeout`, or (without
    /// waiting for that) a process of this host that no longer exists, killed or crashed.
    private func beginPass(_ plan: ReconcilePassPlan, now: Date) async throws -> ReconcilePass {
        do {
            return try await store.beginPass(plan, owner: owner, now: now, staleAfter: lockTimeout)
        } catch let held as ReconcileLockError where LocalProcess.isGone(owner: held.owner) {
            logger.notice("the pass's holder is no longer running on this host; taking it over", metadata: [
                "pass": "\(held.passID)", "holder": "\(held.owner)", "source": "\(plan.source)", "type": "\(plan.type)",
            ])
            // Only that holder's pass is let go of: if another run took it over meanwhile, this is refused
            // and the second attempt names the new holder.
            _ = try await store.releasePass(held.passID, owner: held.owner)
            return try await store.beginPass(plan, owner: owner, now: now, staleAfter: lockTimeout)
        }
    }

    /// Pages through the listing and writes what it lists. The listing runs ahead of the writes by up
    /// to `pagesAhead` pages: each page is requested as soon as the one before it is in (its keyset
    /// comes from that page's rows), and the pages that arrive while a write commits go into the next
    /// write together, one transaction (and one fsync) for all of them. So a pass costs the slower of
    /// listing and writing, not their sum. A page's position is recorded only after its rows commit,
    /// so a pass that dies resumes at a page whose rows are all in the mirror.
    private func list(pass: ReconcilePass, counts: inout ReconcileCounts) async throws {
        let pages = BatchHandOff<ListedPage>(capacity: Self.pagesAhead)
        observeHandOff(pages)
        let rateStart = clock.now, rowsAtStart = counts.listed
        try await withThrowingTaskGroup(of: Void.self) { group in
            defer { pages.close() }
            group.addTask {
                do {
                    // On one event loop: each page's request waits for the one before, and hopping
                    // threads between them cost the listing more than parsing its pages.
                    try await withTaskExecutorPreference(EventLoopTaskExecutor()) {
                        try await listPages(of: pass, into: pages)
                    }
                    pages.finish()
                } catch {
                    pages.finish(throwing: error)
                }
            }
            // The last batch's position, being recorded in the queue's file while the next batch is
            // written to the mirror's: awaited before the next record, so positions are recorded in
            // order and a lost lock is noticed one batch late at most. Never cancelled: a batch whose
            // rows are in the mirror has its position recorded even when the pass stops (a resumed
            // pass would list it again without counting it), and the record is one short write.
            var recording: Task<Bool, any Error>?
            do {
                try await writeBatches(from: pages, pass: pass, counts: &counts, recording: &recording, rateStart: rateStart, rowsAtStart: rowsAtStart)
            } catch {
                _ = try? await recording?.value
                throw error
            }
        }
    }

    /// The writing side of `list`: takes every page that has arrived, writes them in one go, and
    /// records the last one's position while the next write runs.
    private func writeBatches(
        from pages: BatchHandOff<ListedPage>, pass: ReconcilePass, counts: inout ReconcileCounts,
        recording: inout Task<Bool, any Error>?, rateStart: Date, rowsAtStart: Int
    ) async throws {
        while var batch = try await pages.takeAll() {
            // A writer that keeps up with the listing finds a page or two at a time, and a transaction
            // per page meant a rewrite of the B-trees' right edges and an fsync for every page.
            // One that is behind finds more, and goes straight on; so does the listing's last write.
            if batch.count < Self.lingerBelow, !pages.isFinished {
                try? await Task.sleep(for: writeLinger)
                batch += pages.takeQueued()
            }
            let applied = try await apply(batch, pass: pass.id)
            counts.pages += batch.count
            counts.listed += applied.reduce(0) { $0 + $1.firstListed }
            counts.changed += applied.reduce(0) { $0 + $1.changed }
            try await confirm(recording, pass: pass)
            recording = Task { [store, owner, clock, position = batch.last!.position, counts] in
                try await store.recordPage(pass.id, owner: owner, position: position, counts: counts, now: clock.now)
            }
            let elapsed = clock.now.timeIntervalSince(rateStart)
            onProgress(ReconcileProgress(
                source: source.name, type: pass.plan.type, pages: counts.pages, listed: counts.listed, changed: counts.changed,
                remaining: batch.last!.remaining, rowsPerSecond: elapsed > 0 ? Double(counts.listed - rowsAtStart) / elapsed : nil))
        }
        try await confirm(recording, pass: pass)
        recording = nil
    }

    /// Pages that may wait for the writer: enough to fill a transaction while one commits, few enough
    /// that a listing of millions of rows streams through in constant memory
    /// (docs/decisions.md#the-listing-runs-ahead-of-the-writes).
    public static let pagesAhead = 16

    /// A write of fewer pages than this has caught up with the listing, and lingers (`writeLinger`).
    static let lingerBelow = 4

    /// One page of the listing as the writer takes it: the rows not yet synced by this pass, and where
    /// the listing goes on after them.
    struct ListedPage: Sendable {
        var rows: [ListedEntity]
        /// When the page's response was received: its rows' observation time.
        var observedAt: Date
        var position: ListingPosition
        /// Rows the listing holds after this page, by the provider's count, when it gives one.
        var remaining: Int?
    }

    /// The listing side of `list`: requests page after page from the pass's position, within the
    /// source's rate limit, and hands each one over, waiting while the writer is `pagesAhead` behind.
    private func listPages(of pass: ReconcilePass, into pages: BatchHandOff<ListedPage>) async throws {
        let gate = SourceGate(source: source.name, limits: source.limits, budget: store, holder: owner, maxBudgetWait: .seconds(3_600))
        let pageSize: Int = switch api.listingPaging {
        case .offset(let maxPageSize): min(self.pageSize, maxPageSize)
        case .cursor: self.pageSize
        }
        var position = pass.position
        // Rows already synced at the current keyset second, so re-listing that second skips them.
        var seenAtBoundary: Set<String> = []
        while true {
            let page = try await fetchPage(query(at: position, pass: pass, pageSize: pageSize), gate: gate)
            let observedAt = clock.now
            let fresh = Self.unseen(page.rows, seenAtBoundary: seenAtBoundary, second: position.since)
            let remaining = remainingRows(after: page, fresh: fresh.count, seenAtBoundary: seenAtBoundary.count)
            advance(&position, &seenAtBoundary, past: page)
            try await pages.send(ListedPage(rows: fresh, observedAt: observedAt, position: position, remaining: remaining))
            if !page.hasMore || page.rows.isEmpty {
                await gate.releaseFinishedSlots()
                return
            }
        }
    }

    /// What the listing still holds after `page`. A keyset query's count is of the rows from its
    /// keyset second on, not of the pass's listing: it counts again the rows of that second this pass
    /// has already listed (`seenAtBoundary`, which also holds every row of the pages skipped within
    /// the second), and the page's own new rows. No cursor listing gives a count.
    private func remainingRows(after page: ListingPage, fresh: Int, seenAtBoundary: Int) -> Int? {
        switch api.listingPaging {
        case .offset: page.total.map { max(0, $0 - seenAtBoundary - fresh) }
        case .cursor: nil
        }
    }

    /// Waits for a page's position to be recorded; the record is refused once another run holds the pass.
    private func confirm(_ recording: Task<Bool, any Error>?, pass: ReconcilePass) async throws {
        guard let recording else { return }
        let recorded = try await recording.value
        guard recorded else { throw ReconcileError.lockLost(source: source.name, type: pass.plan.type) }
    }

    private func query(at position: ListingPosition, pass: ReconcilePass, pageSize: Int) -> ListingQuery {
        ListingQuery(type: pass.plan.type, since: position.since, page: position.page, pageSize: pageSize, cursor: position.cursor)
    }

    /// Where the listing goes on after `page`: the cursor it gave, or the keyset second of its last
    /// row (paging within that second when the whole page shares it).
    private func advance(_ position: inout ListingPosition, _ seenAtBoundary: inout Set<String>, past page: ListingPage) {
        switch api.listingPaging {
        case .cursor:
            position.cursor = page.nextCursor
        case .offset:
            let lastSecond = page.rows.last?.remoteModifiedAt.map { Date(timeIntervalSince1970: $0.timeIntervalSince1970.rounded(.down)) }
            if let lastSecond, lastSecond > (position.since ?? .distantPast) {
                position = ListingPosition(since: lastSecond, page: 0)
                seenAtBoundary = []
            } else {
                // The whole page shares one second (or carries no times): page on within it.
                position.page += 1
            }
            for row in page.rows where row.remoteModifiedAt.map({ $0.timeIntervalSince1970.rounded(.down) == position.since?.timeIntervalSince1970 }) ?? false {
                seenAtBoundary.insert(Self.marker(row))
            }
        }
    }

    /// The rows of a page less those this pass has already synced at the keyset second it re-lists
    /// (`second`, the page's `since`: every row in `seenAtBoundary` is of that second). Only a row of
    /// that second can have been seen, so no other row's marker is built; and the page is kept as it
    /// is unless a row goes. Re-listing one second is what every keyset page does, so this runs on
    /// every page, on the listing's critical path.
    private static func unseen(_ rows: [ListedEntity], seenAtBoundary: Set<String>, second: Date?) -> [ListedEntity] {
        guard !seenAtBoundary.isEmpty, let second = second?.timeIntervalSince1970 else { return rows }
        func seen(_ row: ListedEntity) -> Bool {
            row.remoteModifiedAt?.timeIntervalSince1970.rounded(.down) == second && seenAtBoundary.contains(marker(row))
        }
        guard rows.contains(where: seen) else { return rows }
        return rows.filter { !seen($0) }
    }

    private static func marker(_ row: ListedEntity) -> String {
        "\(row.key.id)@\(row.remoteModifiedAt.map { String(Int64(($0.timeIntervalSince1970 * 1000).rounded())) } ?? "-")"
    }

    /// Writes a batch of pages, in order and in one go: with the mirror, one transaction.
    private func apply(_ pages: [ListedPage], pass: Int64) async throws -> [ListingApplied] {
        if let mirror {
            return try await mirror.applyListing(
                pages: pages.map { ObservedListingPage(rows: $0.rows, observedAt: $0.observedAt) }, pass: pass, syncedAt: clock.now)
        }
        let now = clock.now
        let records = pages.flatMap { page in
            page.rows.map {
                SyncRecord(key: $0.key, change: .live(json: $0.json, remoteModifiedAt: $0.remoteModifiedAt), observedAt: page.observedAt, syncedAt: now)
            }
        }
        if !records.isEmpty { try await sink.write(records) }
        return pages.map { ListingApplied(firstListed: $0.rows.count, changed: $0.rows.count) }
    }

    /// One listing request, within the source's rate limit; a 429 waits as asked, other transient
    /// failures are retried with backoff a few times before the pass gives up.
    ///
    /// Pacing runs on real time, not `clock`: `clock` stamps what the pass records (and is a manual
    /// clock in tests), while the provider's rate window passes in real seconds whatever we record.
    private func fetchPage(_ query: ListingQuery, gate: SourceGate) async throws -> ListingPage {
        let realTime = SystemWallClock()
        var failures = 0
        while true {
            switch await gate.admit(now: realTime.now) {
            case .deferred(let until, _):
                try await Task.sleep(for: .milliseconds(Int64(max(0, until.timeIntervalSince(realTime.now)) * 1000) + 1))
                continue
            case .proceed:
                break
            }
            do {
                let page = try await api.list(query)
                gate.finished()
                return page
            } catch let error as ProviderAPIError {
                gate.finished()
                switch error {
                case .rateLimited(let retryAfter, let detail):
                    let until = await gate.rateLimited(now: realTime.now, retryAfter: retryAfter, reason: detail)
                    logger.notice("listing rate limited; waiting", metadata: ["source": "\(source.name)", "until": "\(until)"])
                case .transient(let detail) where failures + 1 < Self.requestAttempts:
                    failures += 1
                    let delay = RetryStrategy.exponentialJitter(maxAttempts: Self.requestAttempts, base: .milliseconds(500), maxBackoff: .seconds(30))
                        .backoff(attempt: failures)
                    logger.notice("listing request failed; retrying", metadata: ["source": "\(source.name)", "error": "\(detail)", "attempt": "\(failures)"])
                    try await Task.sleep(for: delay)
                default:
                    throw ReconcileError.listing(source: source.name, type: query.type, error)
                }
            }
        }
    }
}

/// How far a pass has got, after each page.
public struct ReconcileProgress: Sendable {
    public var source: String
    public var type: String
    public var pages: Int
    public var listed: Int
    public var changed: Int
    /// Rows the listing still holds, by the provider's count, when it gives one.
    public var remaining: Int?
    public var rowsPerSecond: Double?

    public init(source: String, type: String, pages: Int, listed: Int, changed: Int, remaining: Int?, rowsPerSecond: Double?) {
        self.source = source
        self.type = type
        self.pages = pages
        self.listed = listed
        self.changed = changed
        self.remaining = remaining
        self.rowsPerSecond = rowsPerSecond
    }
}

extension ReconcileProgress: CustomStringConvertible {
    /// The line a terminal shows, e.g. `economic/customer: page 125, 124876 of ~300000 rows, 124876
    /// changed, 146733 rows/s, ETA 2s`. The total is approximate: rows modified while the pass pages
    /// are counted again at their new place.
    public var description: String {
        var line = "\(source)/\(type): page \(pages), \(listed)"
        if let remaining, remaining > 0 { line += " of ~\(listed + remaining)" }
        line += " rows, \(changed) changed"
        if let rate = rowsPerSecond, rate > 0 {
            line += String(format: ", %.0f rows/s", rate)
            if let remaining, remaining > 0 { line += ", ETA " + Self.clock(seconds: (Double(remaining) / rate).rounded(.up)) }
        }
        return line
    }

    /// `42s`, `3m20s`, `1h05m`: no more precision than an estimate has.
    static func clock(seconds: Double) -> String {
        let seconds = Int(min(seconds, 359_999))
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3_600 { return "\(seconds / 60)m\(String(format: "%02d", seconds % 60))s" }
        return "\(seconds / 3_600)h\(String(format: "%02d", seconds % 3_600 / 60))m"
    }
}

/// What a finished pass did.
public struct ReconcileSummary: Sendable, Hashable {
    public var passID: Int64
    public var source: String
    public var type: String
    public var mode: ReconcileMode
    public var counts: ReconcileCounts
    public var duration: TimeInterval
    public var resumed: Bool
}

/// Why a pass failed, said so that the operator knows where to look.
public enum ReconcileError: Error, CustomStringConvertible {
    case listing(source: String, type: String, ProviderAPIError)
    /// Another run took the pass over (this process was presumed dead): it carries on, this one stops.
    case lockLost(source: String, type: String)
    /// Stopped by a signal or a shutdown; `resumable` when the pass was let go of for the next run.
    case interrupted(source: String, type: String, pages: Int, resumable: Bool)

    /// Stopped rather than failed.
    public var isInterruption: Bool {
        if case .interrupted = self { true } else { false }
    }

    public var description: String {
        switch self {
        case .listing(let source, let type, let error): "listing \(source)/\(type) failed: \(error)"
        case .lockLost(let source, let type):
            "another run took over the pass of \(source)/\(type) (this one was silent past the lock timeout); it carries on from the last committed page"
        case .interrupted(let source, let type, let pages, let resumable):
            "interrupted after \(pages) pages; " + (resumable
                ? "the next reconcile or resync of \(source)/\(type) resumes at the last committed page"
                : "the pass could not be let go of, so the next run takes it over after the lock timeout")
        }
    }
}
