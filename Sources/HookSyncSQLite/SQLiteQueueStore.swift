public import Foundation
public import GRDB
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

    public init(pool: DatabasePool, clock: any WallClock = SystemWallClock()) {
        self.pool = pool
        self.clock = clock
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
        let rows = try envelopes.map(EventRow.init)
        let now = clock.now.millisecondsSince1970
        return try await pool.write { db in
            var receipt = EnqueueReceipt()
            var counters: [String: SourceCounterDelta] = [:]
            let insertEvent = try db.cachedStatement(sql: Statements.insertEvent)
            let upsertItem = try db.cachedStatement(sql: Statements.upsertPendingItem)
            for row in rows {
                guard let eventID = try Int64.fetchOne(insertEvent, arguments: row.arguments) else {
                    receipt.duplicates += 1
                    counters[row.source, default: SourceCounterDelta()].duplicates += 1
                    continue
                }
                let eventCount = try Int.fetchOne(upsertItem, arguments: [
                    "source": row.source, "type": row.entityType, "id": row.entityID, "action": row.action,
                    "event": eventID, "at": row.receivedAt, "extras": row.extras, "now": now,
                ])
                receipt.accepted += 1
                if let eventCount, eventCount > 1 { receipt.coalesced += 1 }
                counters[row.source, default: SourceCounterDelta()].record(acceptedAt: row.receivedAt)
            }
            let bumpCounter = try db.cachedStatement(sql: Statements.bumpSourceCounter)
            for (source, delta) in counters {
                try bumpCounter.execute(arguments: [source, delta.accepted, delta.duplicates, delta.lastDeliveryAt])
            }
            return receipt
        }
    }

    // MARK: Claim

    public func claim(limit: Int, leaseDuration: Duration, owner: String) async throws -> [WorkItem] {
        guard limit > 0 else { return [] }
        let now = clock.now
        let token = Int64.random(in: 1...Int64.max)
        let expiresAt = now.addingTimeInterval(leaseDuration.timeInterval)
        return try await pool.write { db in
            try Self.rescueExpiredLeases(db, now: now)
            let rows = try Row.fetchAll(db, sql: Statements.claim, arguments: [
                "owner": owner, "token": token, "expires": expiresAt.millisecondsSince1970,
                "now": now.millisecondsSince1970, "limit": limit,
            ])
            return try rows.map(WorkItem.init(row:)).sorted { ($0.runAt, $0.id) < ($1.runAt, $1.id) }
        }
    }

    /// Returns items whose holder let the lease run out (a crash, a stall) to pending, counting the
    /// lost run as a failed attempt, so that work that kills its worker ends in the dead-letter list.
    static func rescueExpiredLeases(_ db: Database, now: Date) throws {
        let expired = try Int64.fetchAll(db, sql: Statements.expiredLeases, arguments: [now.millisecondsSince1970])
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
            try db.execute(sql: Statements.deadLetter, arguments: [
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

    static func holds(_ db: Database, _ lease: Lease) throws -> Bool {
        try Bool.fetchOne(db, sql: Statements.holdsLease, arguments: [lease.itemID, lease.token]) ?? false
    }

    /// Puts an item that left `pending` (held, or dead) back into it. If the entity has meanwhile got
    /// another pending item, the two are folded into that one instead, keeping the rule of one
    /// pending item per entity: it absorbs the item's events, actions and attempts.
    static func returnToPending(
        _ db: Database, id: Int64, runAt: Date, countAttempt: Bool, resetAttempts: Bool = false,
        error: String?, now: Date
    ) throws {
        guard let item = try Row.fetchOne(db, sql: "SELECT * FROM work_item WHERE id = ?", arguments: [id])
            .map(WorkItem.init(row:))
        else { return }
        let attempts = resetAttempts ? 0 : item.attempts + (countAttempt ? 1 : 0)
        let sibling = try Row.fetchOne(db, sql: Statements.pendingItemOfEntity, arguments: [
            item.key.source, item.key.type, item.key.id,
        ]).map(WorkItem.init(row:))

        guard let sibling else {
            try db.execute(sql: Statements.backToPending, arguments: [
                "id": id, "runAt": runAt.millisecondsSince1970, "attempts": attempts, "error": error,
            ])
            return
        }
        // The returning item's events are older than the sibling's, so its actions come first.
        var actions = item.actions
        actions.record(sibling.actions)
        let extras = item.extras.merging(sibling.extras) { _, newer in newer }
        try db.execute(sql: Statements.absorbIntoSibling, arguments: [
            "sibling": sibling.id,
            "actions": actions.description,
            "eventCount": sibling.eventCount + item.eventCount,
            "firstEventAt": min(item.firstEventAt, sibling.firstEventAt).millisecondsSince1970,
            "extras": try extras.jsonText(),
            "attempts": max(sibling.attempts, attempts),
            "runAt": max(sibling.runAt, runAt).millisecondsSince1970,
            "error": error ?? item.lastError,
        ])
        try db.execute(sql: Statements.markMerged, arguments: [
            "id": id, "sibling": sibling.id, "now": now.millisecondsSince1970,
        ])
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
