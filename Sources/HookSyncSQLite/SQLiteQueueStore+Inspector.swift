public import Foundation
import GRDB
public import HookSyncCore

extension SQLiteQueueStore {
    public func status() async throws -> QueueStatus {
        let now = clock.now
        return try await pool.read { db in
            var bySource: [String: WorkCounts] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: Statements.workCountsBySource)) {
                let source: String = row["source"]
                let count: Int = row["count"]
                bySource[source, default: WorkCounts()].add(count, state: WorkState(rawValue: row["state"]))
            }
            var oldestWaiting = try Int64.fetchOne(db.cachedStatement(sql: "SELECT min(first_event_at) FROM work_item WHERE state = 'pending'"))
            for row in try Row.fetchAll(db.cachedStatement(sql: Statements.unfoldedBySource)) {
                let source: String = row["source"]
                bySource[source, default: WorkCounts()].queued += row["count"]
                let oldest: Int64 = row["oldest"]
                oldestWaiting = min(oldestWaiting ?? oldest, oldest)
            }
            var counters: [String: (accepted: Int, duplicates: Int, last: Int64?)] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM source_counter")) {
                counters[row["source"]] = (row["accepted"], row["duplicates"], row["last_delivery_at"])
            }
            var nextRetry: [String: Int64] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: Statements.nextRetryBySource)) {
                nextRetry[row["source"]] = row["next_retry"]
            }
            var health: [String: SourceHealth] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM source_health")) {
                let source: String = row["source"]
                health[source] = SourceHealth(
                    source: source, circuit: CircuitState(rawValue: row["circuit"]) ?? .closed, reason: row["reason"],
                    changedAt: Date(millisecondsSince1970: row["changed_at"]),
                    retryAt: (row["retry_at"] as Int64?).map(Date.init(millisecondsSince1970:)))
            }
            let quarantined = try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM quarantine")) ?? 0
            let schemaVersion = try SQLiteSchema.migrator.appliedMigrations(db).last ?? "none"
            let passes = try Row.fetchAll(db.cachedStatement(sql: Statements.passesForStatus)).map(Self.pass)
            let waitingResyncs = try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM resync_request WHERE taken_at IS NULL")) ?? 0

            let budgets = Dictionary(
                try Self.budgetStatus(db, now: now.millisecondsSince1970).map { ($0.source, $0) }, uniquingKeysWith: { first, _ in first })
            let names = Set(bySource.keys).union(counters.keys).union(health.keys).union(budgets.keys).sorted()
            let sources = names.map { name in
                let counter = counters[name]
                return SourceStatus(
                    name: name, accepted: counter?.accepted ?? 0, duplicates: counter?.duplicates ?? 0,
                    lastDeliveryAt: counter?.last.map(Date.init(millisecondsSince1970:)),
                    work: bySource[name] ?? WorkCounts(), health: health[name],
                    nextRetryAt: nextRetry[name].map(Date.init(millisecondsSince1970:)), budget: budgets[name])
            }
            return QueueStatus(
                generatedAt: now, schemaVersion: schemaVersion,
                accepted: sources.reduce(0) { $0 + $1.accepted },
                duplicates: sources.reduce(0) { $0 + $1.duplicates },
                work: sources.reduce(into: WorkCounts()) { $0.add($1.work) },
                quarantined: quarantined,
                oldestPendingAgeSeconds: oldestWaiting.map {
                    max(0, now.timeIntervalSince(Date(millisecondsSince1970: $0)))
                },
                sources: sources,
                reconcile: ReconcileActivity(passes: passes, waitingResyncs: waitingResyncs))
        }
    }

    public func depth() async throws -> QueueDepth {
        let now = clock.now
        return try await pool.read { db in
            let row = try Row.fetchOne(db.cachedStatement(sql: Statements.queueDepth))!
            let unfolded: Int = row["unfolded"], pending: Int = row["pending"]
            let oldest = [row["oldest_unfolded"], row["oldest_pending"]].compactMap { $0 as Int64? }.min()
            return QueueDepth(
                waiting: unfolded + pending,
                oldestWaitingAgeSeconds: oldest.map { max(0, now.timeIntervalSince(Date(millisecondsSince1970: $0))) })
        }
    }

    /// Every work item of one entity, oldest first (finished ones only while retained).
    public func workItems(for key: EntityKey) async throws -> [WorkItem] {
        try await pool.read { db in
            let ids = try Int64.fetchAll(db.cachedStatement(sql: Statements.itemsOfEntity), arguments: [key.source, key.type, key.id])
            return try Self.items(db, ids: ids)
        }
    }

    public func workItem(id: Int64) async throws -> WorkItem? {
        try await pool.read { db in try Self.item(db, id: id) }
    }

    public func events(forWorkItem id: Int64) async throws -> [StoredEvent] {
        try await pool.read { db in
            try Row.fetchAll(db.cachedStatement(sql: Statements.eventsOfMergeTree), arguments: ["id": id]).map(StoredEvent.init(row:))
        }
    }

    public func deadLetters(source: String?, limit: Int) async throws -> [WorkItem] {
        try await pool.read { db in
            try Row.fetchAll(db.cachedStatement(sql: Statements.itemsWithKeys + """
                 WHERE work_item.state = 'dead' AND (:source IS NULL OR entity.source = :source)
                ORDER BY work_item.id LIMIT :limit
                """), arguments: ["source": source, "limit": limit]
            ).map(WorkItem.init(row:))
        }
    }

    public func retryDeadLetter(id: Int64) async throws -> Bool {
        let now = clock.now
        return try await pool.write { db in try Self.revive(db, deadItem: id, now: now) }
    }

    public func retryAllDeadLetters(source: String?) async throws -> Int {
        let now = clock.now
        return try await pool.write { db in
            let ids = try Int64.fetchAll(db.cachedStatement(sql: """
                SELECT work_item.id FROM work_item JOIN entity ON entity.id = work_item.entity
                WHERE work_item.state = 'dead' AND (:source IS NULL OR entity.source = :source) ORDER BY work_item.id
                """), arguments: ["source": source])
            for id in ids { _ = try Self.revive(db, deadItem: id, now: now) }
            return ids.count
        }
    }

    /// Gives a dead item its attempts back as pending work, folded into the entity's pending item
    /// if it has one, else as a fresh item.
    static func revive(_ db: Database, deadItem id: Int64, now: Date) throws -> Bool {
        guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM work_item WHERE id = ? AND state = 'dead'"), arguments: [id]) == true
        else { return false }
        if try Int64.fetchOne(db.cachedStatement(sql: Statements.pendingSiblingOf), arguments: [id]) != nil {
            try returnToPending(db, id: id, runAt: now, countAttempt: false, resetAttempts: true, error: nil, now: now)
        } else {
            let ms = now.millisecondsSince1970
            let revived = try Int64.fetchOne(db.cachedStatement(sql: Statements.reviveAsNewItem), arguments: ["id": id, "now": ms])
                .orThrow("revived work item id")
            try db.cachedStatement(sql: Statements.markMerged).execute(arguments: ["id": id, "sibling": revived, "now": ms])
        }
        return true
    }

    public func dropDeadLetter(id: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.cachedStatement(sql: "DELETE FROM work_item WHERE id = ? AND state = 'dead'").execute(arguments: [id])
            return db.changesCount > 0
        }
    }

    public func quarantine(_ delivery: QuarantinedDelivery) async throws -> Int64 {
        let raw = JSONText.encode(delivery.raw)
        return try await pool.write { db in
            try db.execute(sql: "INSERT INTO quarantine (source, reason, received_at, raw_request) VALUES (?, ?, ?, ?)",
                           arguments: [delivery.source, delivery.reason, delivery.receivedAt.millisecondsSince1970, raw])
            return db.lastInsertedRowID
        }
    }

    public func quarantinedDeliveries(source: String?, limit: Int) async throws -> [StoredQuarantinedDelivery] {
        try await pool.read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT * FROM quarantine WHERE (:source IS NULL OR source = :source) ORDER BY id LIMIT :limit
                """), arguments: ["source": source, "limit": limit]).map(StoredQuarantinedDelivery.init(row:))
        }
    }

    public func quarantinedDelivery(id: Int64) async throws -> StoredQuarantinedDelivery? {
        try await pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM quarantine WHERE id = ?"), arguments: [id])
                .map(StoredQuarantinedDelivery.init(row:))
        }
    }

    public func dropQuarantined(id: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.cachedStatement(sql: "DELETE FROM quarantine WHERE id = ?").execute(arguments: [id])
            return db.changesCount > 0
        }
    }

    public func checkWritable() async throws {
        // An IMMEDIATE transaction takes the write lock: if it commits, a write would have too.
        try await pool.write { db in try db.cachedStatement(sql: "UPDATE fold_state SET id = id WHERE 0").execute() }
    }

    public func prune(before cutoff: Date) async throws -> PruneReport {
        let ms = cutoff.millisecondsSince1970
        return try await pool.write { db in
            try db.cachedStatement(sql: Statements.pruneEvents).execute(arguments: ["cutoff": ms])
            let events = db.changesCount
            try db.cachedStatement(sql: Statements.pruneRequests).execute(arguments: ["cutoff": ms])
            try db.execute(sql: "DELETE FROM work_item WHERE state IN ('done', 'merged') AND finished_at < ?",
                           arguments: [ms])
            return PruneReport(events: events, workItems: db.changesCount)
        }
    }
}

extension WorkCounts {
    mutating func add(_ count: Int, state: WorkState?) {
        switch state {
        case .pending: pending += count
        case .inFlight: inFlight += count
        case .done: done += count
        case .dead: dead += count
        case .merged: merged += count
        case nil: break
        }
    }

    mutating func add(_ other: WorkCounts) {
        pending += other.pending
        inFlight += other.inFlight
        done += other.done
        dead += other.dead
        merged += other.merged
        queued += other.queued
    }
}
