public import Foundation
import GRDB
public import HookSyncCore

extension SQLiteQueueStore {
    public func status() async throws -> QueueStatus {
        let now = clock.now
        return try await pool.read { db in
            var bySource: [String: WorkCounts] = [:]
            for row in try Row.fetchAll(db, sql: Statements.workCountsBySource) {
                let source: String = row["source"]
                let count: Int = row["count"]
                bySource[source, default: WorkCounts()].add(count, state: WorkState(rawValue: row["state"]))
            }
            var counters: [String: (accepted: Int, duplicates: Int, last: Int64?)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM source_counter") {
                counters[row["source"]] = (row["accepted"], row["duplicates"], row["last_delivery_at"])
            }
            let oldestPending = try Int64.fetchOne(
                db, sql: "SELECT min(first_event_at) FROM work_item WHERE state = 'pending'")
            let quarantined = try Int.fetchOne(db, sql: "SELECT count(*) FROM quarantine") ?? 0
            let schemaVersion = try SQLiteSchema.migrator.appliedMigrations(db).last ?? "none"

            let names = Set(bySource.keys).union(counters.keys).sorted()
            let sources = names.map { name in
                let counter = counters[name]
                return SourceStatus(
                    name: name, accepted: counter?.accepted ?? 0, duplicates: counter?.duplicates ?? 0,
                    lastDeliveryAt: counter?.last.map(Date.init(millisecondsSince1970:)),
                    work: bySource[name] ?? WorkCounts())
            }
            return QueueStatus(
                generatedAt: now, schemaVersion: schemaVersion,
                accepted: sources.reduce(0) { $0 + $1.accepted },
                duplicates: sources.reduce(0) { $0 + $1.duplicates },
                work: sources.reduce(into: WorkCounts()) { $0.add($1.work) },
                quarantined: quarantined,
                oldestPendingAgeSeconds: oldestPending.map {
                    max(0, now.timeIntervalSince(Date(millisecondsSince1970: $0)))
                },
                sources: sources)
        }
    }

    public func workItem(id: Int64) async throws -> WorkItem? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM work_item WHERE id = ?", arguments: [id]).map(WorkItem.init(row:))
        }
    }

    public func events(forWorkItem id: Int64) async throws -> [StoredEvent] {
        try await pool.read { db in
            var events: [StoredEvent] = []
            for run in try Row.fetchAll(db, sql: Statements.mergeTree, arguments: ["id": id]) {
                guard let first: Int64 = run["first_event_id"], let last: Int64 = run["last_event_id"] else { continue }
                let rows = try Row.fetchAll(db, sql: Statements.eventsInRun, arguments: [
                    run["source"], run["entity_type"], run["entity_id"], first, last,
                ])
                events += try rows.map(StoredEvent.init(row:))
            }
            return events.sorted { $0.id < $1.id }
        }
    }

    public func deadLetters(source: String?, limit: Int) async throws -> [WorkItem] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM work_item WHERE state = 'dead' AND (:source IS NULL OR source = :source)
                ORDER BY id LIMIT :limit
                """, arguments: ["source": source, "limit": limit]
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
            let ids = try Int64.fetchAll(db, sql: """
                SELECT id FROM work_item WHERE state = 'dead' AND (:source IS NULL OR source = :source) ORDER BY id
                """, arguments: ["source": source])
            for id in ids { _ = try Self.revive(db, deadItem: id, now: now) }
            return ids.count
        }
    }

    /// Gives a dead item its attempts back as pending work, folded into the entity's pending item
    /// if it has one, else as a fresh item.
    static func revive(_ db: Database, deadItem id: Int64, now: Date) throws -> Bool {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM work_item WHERE id = ? AND state = 'dead'", arguments: [id]) == true
        else { return false }
        let hasPendingSibling = try Bool.fetchOne(db, sql: """
            SELECT 1 FROM work_item AS sibling JOIN work_item AS dead
              ON sibling.source = dead.source AND sibling.entity_type = dead.entity_type
             AND sibling.entity_id = dead.entity_id
            WHERE dead.id = ? AND sibling.state = 'pending'
            """, arguments: [id]) == true
        if hasPendingSibling {
            try returnToPending(db, id: id, runAt: now, countAttempt: false, resetAttempts: true, error: nil, now: now)
        } else {
            let ms = now.millisecondsSince1970
            guard let revived = try Int64.fetchOne(db, sql: Statements.reviveAsNewItem, arguments: ["id": id, "now": ms])
            else { return false }
            try db.execute(sql: Statements.markMerged, arguments: ["id": id, "sibling": revived, "now": ms])
        }
        return true
    }

    public func dropDeadLetter(id: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM work_item WHERE id = ? AND state = 'dead'", arguments: [id])
            return db.changesCount > 0
        }
    }

    public func quarantine(_ delivery: QuarantinedDelivery) async throws -> Int64 {
        let raw = try delivery.raw.jsonText()
        return try await pool.write { db in
            try db.execute(sql: "INSERT INTO quarantine (source, reason, received_at, raw_request) VALUES (?, ?, ?, ?)",
                           arguments: [delivery.source, delivery.reason, delivery.receivedAt.millisecondsSince1970, raw])
            return db.lastInsertedRowID
        }
    }

    public func prune(before cutoff: Date) async throws -> PruneReport {
        let ms = cutoff.millisecondsSince1970
        return try await pool.write { db in
            try db.execute(sql: "DELETE FROM event_log WHERE received_at < ?", arguments: [ms])
            let events = db.changesCount
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
    }
}
