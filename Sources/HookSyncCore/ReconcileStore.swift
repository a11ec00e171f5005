public import Foundation

/// Where reconciliation keeps its state: watermarks, passes (one running pass per source and type is
/// the lock), and resync requests. The SQLite queue implements it in the same file as the queue.
/// A pass lists within its source's API budget, which every process shares, so the store that
/// keeps passes keeps budgets too (`BudgetStore`).
///
/// ```swift
/// let pass = try await store.beginPass(ReconcilePassPlan(...), owner: "host:42", now: Date(), staleAfter: .seconds(300))
/// _ = try await store.recordPage(pass.id, owner: "host:42", position: position, counts: counts, now: Date())
/// _ = try await store.finishPass(pass.id, owner: "host:42", counts: counts, watermark: start.addingTimeInterval(-300), now: Date())
/// ```
public protocol ReconcileStore: BudgetStore {
    func watermark(source: String, type: String) async throws -> Date?
    /// Starts a pass, or takes over one whose holder stopped heartbeating `staleAfter` ago (resuming at
    /// its last committed page). Throws `ReconcileLockError` if a live pass holds the lock.
    func beginPass(_ plan: ReconcilePassPlan, owner: String, now: Date, staleAfter: Duration) async throws -> ReconcilePass
    /// Commits the position after a page (the pass can resume there) and refreshes the heartbeat.
    /// Returns false, recording nothing, when the pass is no longer `owner`'s (another run took it over).
    func recordPage(_ passID: Int64, owner: String, position: ListingPosition, counts: ReconcileCounts, now: Date) async throws -> Bool
    /// Lets go of a running pass without ending it, while `owner` holds it: the next run takes it over
    /// at once and resumes at its last committed page, and the holder records nothing more. For a pass
    /// that was interrupted, or whose holder is known to be gone. Returns whether it did.
    func releasePass(_ passID: Int64, owner: String) async throws -> Bool
    /// Says that the pass's holder lives, between pages (a listing waiting out a rate limit can take
    /// longer than the lock timeout). Returns false when the pass is no longer `owner`'s.
    func heartbeat(_ passID: Int64, owner: String, now: Date) async throws -> Bool
    /// Ends the pass and, if given, moves the watermark, in one transaction, while `owner` holds it.
    /// Returns false, changing nothing, when another run took the pass over: a takeover keeps the
    /// pass's id, so without the owner a stalled holder would end its successor's run.
    func finishPass(_ passID: Int64, owner: String, counts: ReconcileCounts, watermark: Date?, now: Date) async throws -> Bool
    /// Records the pass as failed while `owner` holds it; false, changing nothing, otherwise.
    @discardableResult
    func failPass(_ passID: Int64, owner: String, counts: ReconcileCounts, error: String, now: Date) async throws -> Bool
    /// The latest passes, newest first, for status.
    func recentPasses(limit: Int) async throws -> [ReconcilePass]
    func requestResync(_ request: ResyncRequest, now: Date) async throws -> Int64
    /// Marks every waiting request taken and returns them.
    func takeResyncRequests(now: Date) async throws -> [ResyncRequest]
}

/// What a pass lists.
public enum ReconcileMode: String, Sendable, Hashable, Codable {
    /// From the saved watermark minus the lookback (everything, the first time).
    case incremental
    /// From a time a person gave.
    case since
    /// Everything; entities absent from the listing are deleted upstream.
    case full

    /// What a resync asks for: everything, from a time, or (neither) from the watermark.
    public static func requested(full: Bool, since: Date?) -> ReconcileMode {
        full ? .full : since == nil ? .incremental : .since
    }
}

public struct ReconcilePassPlan: Sendable, Hashable {
    public var source: String
    public var type: String
    public var mode: ReconcileMode
    public var listedFrom: Date?
    /// The pass's start.
    public var upperBound: Date

    public init(source: String, type: String, mode: ReconcileMode, listedFrom: Date?, upperBound: Date) {
        self.source = source
        self.type = type
        self.mode = mode
        self.listedFrom = listedFrom
        self.upperBound = upperBound
    }
}

/// Where a listing has got to: the keyset of its next request.
public struct ListingPosition: Sendable, Hashable {
    public var since: Date?
    public var page: Int
    public var cursor: String?

    public init(since: Date?, page: Int = 0, cursor: String? = nil) {
        self.since = since
        self.page = page
        self.cursor = cursor
    }
}

public struct ReconcileCounts: Sendable, Hashable, Codable {
    public var pages = 0
    /// Rows the listing returned.
    public var listed = 0
    /// Rows newer than (or absent from) the mirror, and so synced.
    public var changed = 0
    /// Entities tombstoned because a full listing did not contain them.
    public var deleted = 0

    public init(pages: Int = 0, listed: Int = 0, changed: Int = 0, deleted: Int = 0) {
        self.pages = pages
        self.listed = listed
        self.changed = changed
        self.deleted = deleted
    }
}

public struct ReconcilePass: Sendable, Hashable, Codable {
    public var id: Int64
    public var plan: ReconcilePassPlan
    /// `running`, `interrupted` (its holder let go of it; the next run resumes it), `succeeded` or `failed`.
    public var state: String
    public var owner: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var position: ListingPosition
    public var counts: ReconcileCounts
    public var error: String?
    /// True when this pass took over from a holder that died: it resumed at `position`.
    public var resumed: Bool

    public init(
        id: Int64, plan: ReconcilePassPlan, state: String, owner: String, startedAt: Date, finishedAt: Date?,
        position: ListingPosition, counts: ReconcileCounts, error: String?, resumed: Bool
    ) {
        self.id = id
        self.plan = plan
        self.state = state
        self.owner = owner
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.position = position
        self.counts = counts
        self.error = error
        self.resumed = resumed
    }

    /// Running, but its holder is a process of this host that no longer exists: the next run takes
    /// the pass over at once and resumes it, without waiting for the lock timeout.
    public var holderIsGone: Bool {
        state == "running" && LocalProcess.isGone(owner: owner)
    }

    enum CodingKeys: String, CodingKey {
        case id, source, type, mode, state, owner
        case holderGone = "holder_gone"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case listedFrom = "listed_from"
        case pages, listed, changed, deleted, error
    }

    public init(from decoder: any Decoder) throws {
        throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "reconcile passes are written, not read"))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(plan.source, forKey: .source)
        try container.encode(plan.type, forKey: .type)
        try container.encode(plan.mode, forKey: .mode)
        try container.encode(state, forKey: .state)
        try container.encode(owner, forKey: .owner)
        try container.encode(holderIsGone, forKey: .holderGone)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(finishedAt, forKey: .finishedAt)
        try container.encode(plan.listedFrom, forKey: .listedFrom)
        try container.encode(counts.pages, forKey: .pages)
        try container.encode(counts.listed, forKey: .listed)
        try container.encode(counts.changed, forKey: .changed)
        try container.encode(counts.deleted, forKey: .deleted)
        try container.encode(error, forKey: .error)
    }
}

/// Reconciliation as status shows it: running passes first, then the latest finished ones, and the
/// resync requests still waiting for a reconcile run to take them.
public struct ReconcileActivity: Sendable, Hashable, Encodable {
    public var passes: [ReconcilePass]
    public var waitingResyncs: Int

    public init(passes: [ReconcilePass] = [], waitingResyncs: Int = 0) {
        self.passes = passes
        self.waitingResyncs = waitingResyncs
    }

    enum CodingKeys: String, CodingKey {
        case passes
        case waitingResyncs = "waiting_resyncs"
    }
}

/// A resync someone asked for (`POST /admin/resync`), waiting for the next reconcile run.
public struct ResyncRequest: Sendable, Hashable {
    public var id: Int64?
    public var source: String
    public var type: String?
    public var since: Date?
    public var full: Bool

    public init(id: Int64? = nil, source: String, type: String?, since: Date?, full: Bool) {
        self.id = id
        self.source = source
        self.type = type
        self.since = since
        self.full = full
    }
}

/// Another live pass holds the (source, type): only one runs at a time.
public struct ReconcileLockError: Error, CustomStringConvertible, Sendable {
    public var source: String
    public var type: String
    public var passID: Int64
    public var owner: String
    public var startedAt: Date
    /// How long before the refusal the holder was last heard from.
    public var silentFor: TimeInterval
    /// How long the holder may be silent before a run takes its pass over.
    public var takeOverAfter: Duration

    public init(source: String, type: String, passID: Int64, owner: String, startedAt: Date, silentFor: TimeInterval, takeOverAfter: Duration) {
        self.source = source
        self.type = type
        self.passID = passID
        self.owner = owner
        self.startedAt = startedAt
        self.silentFor = silentFor
        self.takeOverAfter = takeOverAfter
    }

    public var description: String {
        "a reconcile of \(source)/\(type) is already running (pass #\(passID), owner \(owner), started "
            + "\(ISO8601DateFormatter().string(from: startedAt)), last heard from \(Int(silentFor.rounded(.down)))s ago); "
            + "wait for it to finish. If that process is gone, a run after it has been silent for "
            + "\(HumanDuration.format(takeOverAfter)) takes the pass over and resumes it"
    }
}

/// A listing row: the whole entity, as every supported provider's listing returns it.
public struct ListedEntity: Sendable, Hashable {
    public var key: EntityKey
    public var json: Data
    public var remoteModifiedAt: Date?

    public init(key: EntityKey, json: Data, remoteModifiedAt: Date?) {
        self.key = key
        self.json = json
        self.remoteModifiedAt = remoteModifiedAt
    }
}
