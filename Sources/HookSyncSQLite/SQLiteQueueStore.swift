public import Foundation
public import GRDB
import GRDBSQLite
public import HookSyncCore

/// The SQLite backend of the queue: one database file shared by ingest, workers and the CLI,
/// each in its own process.
///
/// Concurrency: every write is one short IMMEDIATE transaction on the pool's single writer
/// connection; SQLite's file lock serialises writers across processes and the busy timeout makes
/// them wait rather than fail. Reads (status, dead letters) run on reader connections and never
/// block writers (WAL).
///
/// ```swift
/// let store = try SQLiteQueueStore.open(path: "./data/hooksync.sqlite")
/// try await store.enqueue([envelope])
/// ```
public final class SQLiteQueueStore: QueueStore {
    let pool: DatabasePool
    let clock: any WallClock

    /// The most events one claim folds into work items.
    let foldBatchLimit: Int

    public init(pool: DatabasePool, clock: any WallClock = SystemWallClock(), foldBatchLimit: Int = 5_000) {
        self.pool = pool
        self.clock = clock
        self.foldBatchLimit = foldBatchLimit
    }

    /// Opens a database whose schema is current (see `SQLiteSchema.openCurrent`).
    public static func open(
        path: String, options: SQLiteOptions = SQLiteOptions(), clock: any WallClock = SystemWallClock()
    ) throws -> SQLiteQueueStore {
        SQLiteQueueStore(pool: try SQLiteSchema.openCurrent(path: path, options: options), clock: clock)
    }

    public func close() throws {
        try pool.close()
    }

    // MARK: Enqueue

    public func enqueue(_ envelopes: [EventEnvelope]) async throws -> EnqueueReceipt {
        guard !envelopes.isEmpty else { return EnqueueReceipt() }
        // Encoding happens before the transaction: the writer lock is held for SQL only.
        let batch = EventBatch(envelopes)
        return try await pool.write { db in try Self.append([batch], in: db) }
    }

    static func append(_ batches: [EventBatch], in db: Database) throws -> EnqueueReceipt {
        var receipt = EnqueueReceipt()
        var counters: [String: SourceCounterDelta] = [:]
        let appendEvent = try db.cachedStatement(sql: Statements.appendEvent)
        let appendRequest = try db.cachedStatement(sql: Statements.appendRequest)
        for batch in batches {
            var requestIDs: [Int64] = []
            for request in batch.requests {
                try appendRequest.execute(arguments: request.arguments)
                requestIDs.append(db.lastInsertedRowID)
            }
            var acceptedOfRequest = [Int](repeating: 0, count: requestIDs.count)
            for row in batch.events {
                try appendEvent.execute(arguments: row.arguments(requestID: row.request.map { requestIDs[$0] }))
                if db.changesCount == 0 {
                    receipt.duplicates += 1
                    counters[row.source, default: SourceCounterDelta()].duplicates += 1
                } else {
                    receipt.accepted += 1
                    counters[row.source, default: SourceCounterDelta()].record(acceptedAt: row.receivedAt)
                    if let request = row.request { acceptedOfRequest[request] += 1 }
                }
            }
            for (index, id) in requestIDs.enumerated() where acceptedOfRequest[index] == 0 {
                try db.cachedStatement(sql: Statements.dropRequest).execute(arguments: [id])
            }
        }
        let bumpCounter = try db.cachedStatement(sql: Statements.bumpSourceCounter)
        for (source, delta) in counters {
            try bumpCounter.execute(arguments: [source, delta.accepted, delta.duplicates, delta.lastDeliveryAt])
        }
        return receipt
    }

    // MARK: Claim

    public func claim(limit: Int, leaseDuration: Duration, owner: String) async throws -> [WorkItem] {
        guard limit > 0 else { return [] }
        let now = clock.now
        let token = Int64.random(in: 1...Int64.max)
        let expiresAt = now.addingTimeInterval(leaseDuration.timeInterval)
        let foldLimit = foldBatchLimit
        return try await pool.write { db in
            try Self.fold(db, limit: foldLimit, now: now)
            try Self.rescueExpiredLeases(db, now: now)
            let ids = try Int64.fetchAll(db.cachedStatement(sql: Statements.claim), arguments: [
                "owner": owner, "token": token, "expires": expiresAt.millisecondsSince1970,
                "now": now.millisecondsSince1970, "limit": limit,
            ])
            return try Self.items(db, ids: ids).sorted { ($0.runAt, $0.id) < ($1.runAt, $1.id) }
        }
    }

    /// Folds up to `limit` queued events into work items now, rather than at the next claim. Returns
    /// how many it folded. No worker calls it (a claim folds first); the queue benchmark and tests do,
    /// to fold a backlog without claiming.
    @discardableResult
    public func foldQueuedEvents(limit: Int? = nil) async throws -> Int {
        let now = clock.now, limit = limit ?? foldBatchLimit
        return try await pool.write { db in try Self.fold(db, limit: limit, now: now) }
    }

    /// Folds events appended since the last fold into work items: per entity, one new pending item
    /// or one update of its existing pending item, however many events it got. Capped per call so a
    /// backlog after a burst is worked off over several claims without holding the lock for long.
    @discardableResult
    static func fold(_ db: Database, limit: Int, now: Date) throws -> Int {
        let watermark = try Int64.fetchOne(db.cachedStatement(sql: Statements.foldWatermark)) ?? 0
        // Columns by position (the order of Statements.unfoldedEvents): looking them up by name
        // lowercases the name for every row, which showed in the fold's profile.
        let rows = try Row.fetchAll(db.cachedStatement(sql: Statements.unfoldedEvents), arguments: [watermark, limit])
        guard let lastID: Int64 = rows.last?[0] else { return 0 }

        var groups: [EntityKey: FoldGroup] = [:]
        var order: [EntityKey] = []
        for row in rows {
            let key = EntityKey(source: row[1], type: row[2], id: row[3])
            let actionName: String = row[4]
            guard let action = EventAction(rawValue: actionName) else {
                throw SQLiteSchemaError.corrupt("event \(row[0] as Int64) has action \(actionName)")
            }
            let event = FoldGroup.Event(id: row[0], action: action, receivedAt: row[5], extras: try [String: String](jsonText: row[6]))
            if groups[key]?.add(event) == nil {
                groups[key] = FoldGroup(first: event)
                order.append(key)
            }
        }

        // Set-based from here: a few statements per hundred entities rather than four per entity.
        // A fold holds the queue's one write lock, and behind it wait claims, completions and every
        // ingest commit, and a backlog folded one statement at a time held it long enough to stall
        // them (docs/decisions.md#the-fold-is-set-based).
        let entities = try FoldBatch.entityIDs(db, order)
        let pendingItems = try FoldBatch.pendingItems(db, ofEntities: order.compactMap { entities[$0].flatMap { $0.isNew ? nil : $0.id } })
        var links: [(event: Int64, item: Int64)] = []
        var fresh: [(entity: Int64, group: FoldGroup)] = []
        for key in order {
            let group = groups[key]!
            let entity = try entities[key].orThrow("entity id of \(key)").id
            guard let pending = pendingItems[entity] else {
                fresh.append((entity, group))
                continue
            }
            var actions = try ActionHistory(storageForm: pending["actions"]).orThrow("work item actions")
            actions.record(group.actions)
            let extras = try [String: String](jsonText: pending["extras"]).merging(group.extras) { _, newer in newer }
            let itemID: Int64 = pending["id"]
            let eventCount: Int = pending["event_count"]
            let lastEventAt: Int64 = pending["last_event_at"]
            try db.cachedStatement(sql: Statements.mergeIntoPendingItem).execute(arguments: [
                "id": itemID, "actions": actions.description, "eventCount": eventCount + group.eventIDs.count,
                "firstEventAt": pending["first_event_at"], "lastEventAt": max(lastEventAt, group.lastEventAt),
                "extras": extras.jsonTextOrNil(), "attempts": pending["attempts"], "runAt": pending["run_at"],
                "error": pending["last_error"],
            ])
            links += group.eventIDs.map { ($0, itemID) }
        }
        let newItems = try FoldBatch.insertPendingItems(db, fresh, now: now.millisecondsSince1970)
        for (entity, group) in fresh {
            let itemID = try newItems[entity].orThrow("new work item of entity \(entity)")
            links += group.eventIDs.map { ($0, itemID) }
        }
        try FoldBatch.link(db, links)
        try db.cachedStatement(sql: Statements.advanceFoldWatermark).execute(arguments: [lastID])
        return rows.count
    }

    static func items(_ db: Database, ids: [Int64]) throws -> [WorkItem] {
        guard !ids.isEmpty else { return [] }
        let idList = "[" + ids.map(String.init).joined(separator: ",") + "]"
        return try Row.fetchAll(db.cachedStatement(sql: Statements.itemsByIDs), arguments: [idList]).map(WorkItem.init(row:))
    }

    static func item(_ db: Database, id: Int64) throws -> WorkItem? {
        try items(db, ids: [id]).first
    }

    /// Returns items whose holder let the lease run out (a crash, a stall) to pending, counting the
    /// lost run as a failed attempt, so that work that kills its worker ends in the dead-letter list.
    static func rescueExpiredLeases(_ db: Database, now: Date) throws {
        let expired = try Int64.fetchAll(db.cachedStatement(sql: Statements.expiredLeases), arguments: [now.millisecondsSince1970])
        for id in expired {
            try returnToPending(db, id: id, runAt: now, countAttempt: true,
                                error: "lease expired: the worker holding it stopped or stalled", now: now)
        }
    }

    // MARK: Finishing claimed work

    @discardableResult
    public func complete(_ leases: [Lease]) async throws -> [Lease] {
        guard !leases.isEmpty else { return [] }
        let now = clock.now.millisecondsSince1970
        return try await pool.write { db in
            let statement = try db.cachedStatement(sql: Statements.complete)
            var lost: [Lease] = []
            for lease in leases {
                try statement.execute(arguments: ["id": lease.itemID, "token": lease.token, "now": now])
                if db.changesCount == 0 { lost.append(lease) }
            }
            return lost
        }
    }

    @discardableResult
    public func fail(_ lease: Lease, retryAt: Date, error: String) async throws -> Bool {
        let now = clock.now
        return try await pool.write { db in
            guard try Self.holds(db, lease) else { return false }
            try Self.returnToPending(db, id: lease.itemID, runAt: retryAt, countAttempt: true, error: error, now: now)
            return true
        }
    }

    @discardableResult
    public func release(_ lease: Lease, runAt: Date, reason: String?) async throws -> Bool {
        let now = clock.now
        return try await pool.write { db in
            guard try Self.holds(db, lease) else { return false }
            try Self.returnToPending(db, id: lease.itemID, runAt: runAt, countAttempt: false, error: reason, now: now)
            return true
        }
    }

    @discardableResult
    public func deadLetter(_ lease: Lease, reason: String) async throws -> Bool {
        let now = clock.now.millisecondsSince1970
        return try await pool.write { db in
            try db.cachedStatement(sql: Statements.deadLetter).execute(arguments: [
                "id": lease.itemID, "token": lease.token, "reason": reason, "now": now,
            ])
            return db.changesCount > 0
        }
    }

    public func extend(_ leases: [Lease], by duration: Duration) async throws -> [Lease] {
        guard !leases.isEmpty else { return [] }
        let expiresAt = clock.now.addingTimeInterval(duration.timeInterval)
        return try await pool.write { db in
            let statement = try db.cachedStatement(sql: Statements.extendLease)
            var renewed: [Lease] = []
            for var lease in leases {
                try statement.execute(arguments: [
                    "id": lease.itemID, "token": lease.token, "expires": expiresAt.millisecondsSince1970,
                ])
                guard db.changesCount > 0 else { continue }
                lease.expiresAt = expiresAt
                renewed.append(lease)
            }
            return renewed
        }
    }

    public func recordSourceHealth(_ health: SourceHealth) async throws {
        try await pool.write { db in
            try db.cachedStatement(sql: Statements.recordSourceHealth).execute(arguments: [
                health.source, health.circuit.rawValue, health.reason, health.changedAt.millisecondsSince1970,
                health.retryAt?.millisecondsSince1970,
            ])
        }
    }

    static func holds(_ db: Database, _ lease: Lease) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: Statements.holdsLease), arguments: [lease.itemID, lease.token]) ?? false
    }

    /// Puts an item that left `pending` (held, or dead) back into it. If the entity has meanwhile got
    /// another pending item, the two are folded into that one instead, keeping the rule of one
    /// pending item per entity: it absorbs the item's events, actions and attempts.
    static func returnToPending(
        _ db: Database, id: Int64, runAt: Date, countAttempt: Bool, resetAttempts: Bool = false,
        error: String?, now: Date
    ) throws {
        guard let item = try item(db, id: id) else { return }
        let attempts = resetAttempts ? 0 : item.attempts + (countAttempt ? 1 : 0)
        guard let siblingID = try Int64.fetchOne(db.cachedStatement(sql: Statements.pendingSiblingOf), arguments: [id]),
              let sibling = try Self.item(db, id: siblingID)
        else {
            try db.cachedStatement(sql: Statements.backToPending).execute(arguments: [
                "id": id, "runAt": runAt.millisecondsSince1970, "attempts": attempts, "error": error,
            ])
            return
        }
        // The returning item's events are older than the sibling's, so its actions come first.
        var actions = item.actions
        actions.record(sibling.actions)
        try db.cachedStatement(sql: Statements.mergeIntoPendingItem).execute(arguments: [
            "id": sibling.id,
            "actions": actions.description,
            "eventCount": sibling.eventCount + item.eventCount,
            "firstEventAt": min(item.firstEventAt, sibling.firstEventAt).millisecondsSince1970,
            "lastEventAt": max(item.lastEventAt, sibling.lastEventAt).millisecondsSince1970,
            "extras": item.extras.merging(sibling.extras) { _, newer in newer }.jsonTextOrNil(),
            "attempts": max(sibling.attempts, attempts),
            "runAt": max(sibling.runAt, runAt).millisecondsSince1970,
            "error": error ?? item.lastError,
        ])
        try db.cachedStatement(sql: Statements.markMerged).execute(arguments: [
            "id": id, "sibling": sibling.id, "now": now.millisecondsSince1970,
        ])
    }
}

/// The events of one entity within one fold, merged as they will be into its work item.
struct FoldGroup {
    struct Event {
        var id: Int64
        var action: EventAction
        var receivedAt: Int64
        var extras: [String: String]
    }

    var eventIDs: [Int64]
    var actions: ActionHistory
    var extras: [String: String]
    var firstEventAt: Int64
    var lastEventAt: Int64

    init(first event: Event) {
        eventIDs = [event.id]
        actions = ActionHistory(event.action)
        extras = event.extras
        firstEventAt = event.receivedAt
        lastEventAt = event.receivedAt
    }

    mutating func add(_ event: Event) {
        eventIDs.append(event.id)
        actions.record(event.action)
        extras.merge(event.extras) { _, newer in newer }
        firstEventAt = min(firstEventAt, event.receivedAt)
        lastEventAt = max(lastEventAt, event.receivedAt)
    }
}

/// A per-source tally gathered over one enqueue batch, written as one counter update.
struct SourceCounterDelta {
    var accepted = 0
    var duplicates = 0
    var lastDeliveryAt: Int64?

    mutating func record(acceptedAt: Int64) {
        accepted += 1
        lastDeliveryAt = max(lastDeliveryAt ?? acceptedAt, acceptedAt)
    }
}

extension SQLiteQueueStore: SynchronousEnqueue {
    public struct Prepared: Sendable {
        fileprivate let batch: EventBatch
    }

    public func prepare(_ envelopes: [EventEnvelope]) -> Prepared {
        Prepared(batch: EventBatch(envelopes))
    }

    /// The busy timeout the pool was opened with (`queue.busy_timeout`).
    private var busyTimeout: Duration {
        if case .timeout(let seconds) = pool.configuration.busyMode { .seconds(seconds) } else { .zero }
    }

    private static func milliseconds(_ duration: Duration) -> Int32 {
        Int32(clamping: Int64((max(duration, .zero).timeInterval * 1_000).rounded(.up)))
    }

    public func enqueueSynchronously(_ requests: [Prepared], lockWait: Duration) throws -> EnqueueReceipt {
        guard requests.contains(where: { !$0.batch.events.isEmpty }) else { return EnqueueReceipt() }
        return try pool.writeWithoutTransaction { db in
            // The wait happens at BEGIN IMMEDIATE, under the connection's busy timeout: shortened for
            // this commit, then put back for the process's other writes.
            sqlite3_busy_timeout(db.sqliteConnection, Self.milliseconds(lockWait))
            defer { sqlite3_busy_timeout(db.sqliteConnection, Self.milliseconds(busyTimeout)) }
            var receipt = EnqueueReceipt()
            try db.inTransaction(.immediate) {
                receipt = try Self.append(requests.map(\.batch), in: db)
                return .commit
            }
            return receipt
        }
    }
}
