public import Foundation
import GRDB
public import HookSyncCore

extension SQLiteQueueStore {
    public func watermark(source: String, type: String) async throws -> Date? {
        try await pool.read { db in
            try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT watermark FROM reconcile_watermark WHERE source = ? AND entity_type = ?"),
                arguments: [source, type]
            ).map(Date.init(millisecondsSince1970:))
        }
    }

    public func beginPass(_ plan: ReconcilePassPlan, owner: String, now: Date, staleAfter: Duration) async throws -> ReconcilePass {
        try await pool.write { db in
            if let running = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM reconcile_pass WHERE source = ? AND entity_type = ? AND state = 'running'"),
                arguments: [plan.source, plan.type])
            {
                let heartbeat = Date(millisecondsSince1970: running["heartbeat_at"])
                guard now.timeIntervalSince(heartbeat) >= staleAfter.timeInterval else {
                    throw ReconcileLockError(
                        source: plan.source, type: plan.type, passID: running["id"], owner: running["owner"],
                        startedAt: Date(millisecondsSince1970: running["started_at"]),
                        silentFor: max(0, now.timeIntervalSince(heartbeat)), takeOverAfter: staleAfter)
                }
                // The holder died, or let go (a released pass's heartbeat is 0): carry on its pass (same id,
                // same bounds) from its last committed page.
                let id: Int64 = running["id"]
                try db.execute(sql: "UPDATE reconcile_pass SET owner = ?, heartbeat_at = ? WHERE id = ?", arguments: [owner, now.millisecondsSince1970, id])
                var pass = try Self.pass(Row.fetchOne(db, sql: "SELECT * FROM reconcile_pass WHERE id = ?", arguments: [id])!)
                pass.resumed = true
                return pass
            }
            try db.execute(
                sql: """
                    INSERT INTO reconcile_pass (source, entity_type, mode, state, owner, started_at, heartbeat_at, listed_from, upper_bound, resume_since)
                    VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    plan.source, plan.type, plan.mode.rawValue, owner, now.millisecondsSince1970, now.millisecondsSince1970,
                    plan.listedFrom?.millisecondsSince1970, plan.upperBound.millisecondsSince1970, plan.listedFrom?.millisecondsSince1970,
                ])
            return try Self.pass(Row.fetchOne(db, sql: "SELECT * FROM reconcile_pass WHERE id = ?", arguments: [db.lastInsertedRowID])!)
        }
    }

    public func recordPage(_ passID: Int64, owner: String, position: ListingPosition, counts: ReconcileCounts, now: Date) async throws -> Bool {
        try await pool.write { db in
            try db.cachedStatement(sql: """
                UPDATE reconcile_pass SET resume_since = ?, resume_page = ?, resume_cursor = ?, heartbeat_at = ?,
                    pages = ?, listed = ?, changed = ?, deleted = ?
                WHERE id = ? AND owner = ? AND state = 'running' AND heartbeat_at != \(Self.released)
                """).execute(arguments: [
                    position.since?.millisecondsSince1970, position.page, position.cursor, now.millisecondsSince1970,
                    counts.pages, counts.listed, counts.changed, counts.deleted, passID, owner,
                ])
            return db.changesCount > 0
        }
    }

    /// The heartbeat of a pass its holder let go of: older than any lock timeout, and told apart from
    /// a silent holder's so that status can say the pass was interrupted.
    static let released: Int64 = 0

    public func releasePass(_ passID: Int64, owner: String) async throws -> Bool {
        try await pool.write { db in
            try db.cachedStatement(sql: "UPDATE reconcile_pass SET heartbeat_at = ? WHERE id = ? AND owner = ? AND state = 'running'")
                .execute(arguments: [Self.released, passID, owner])
            return db.changesCount > 0
        }
    }

    public func heartbeat(_ passID: Int64, owner: String, now: Date) async throws -> Bool {
        try await pool.write { db in
            try db.cachedStatement(sql: "UPDATE reconcile_pass SET heartbeat_at = ? WHERE id = ? AND owner = ? AND state = 'running' AND heartbeat_at != \(Self.released)")
                .execute(arguments: [now.millisecondsSince1970, passID, owner])
            return db.changesCount > 0
        }
    }

    public func finishPass(_ passID: Int64, owner: String, counts: ReconcileCounts, watermark: Date?, now: Date) async throws -> Bool {
        try await pool.write { db in
            guard try Self.end(db, passID, owner: owner, state: "succeeded", counts: counts, error: nil, now: now) else { return false }
            if let watermark {
                try db.execute(
                    sql: """
                        INSERT INTO reconcile_watermark (source, entity_type, watermark, updated_at)
                        SELECT source, entity_type, ?, ? FROM reconcile_pass WHERE id = ?
                        ON CONFLICT (source, entity_type) DO UPDATE SET
                            watermark = max(watermark, excluded.watermark), updated_at = excluded.updated_at
                        """,
                    arguments: [watermark.millisecondsSince1970, now.millisecondsSince1970, passID])
            }
            return true
        }
    }

    @discardableResult
    public func failPass(_ passID: Int64, owner: String, counts: ReconcileCounts, error: String, now: Date) async throws -> Bool {
        try await pool.write { db in try Self.end(db, passID, owner: owner, state: "failed", counts: counts, error: error, now: now) }
    }

    public func recentPasses(limit: Int) async throws -> [ReconcilePass] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM reconcile_pass ORDER BY id DESC LIMIT ?", arguments: [limit]).map(Self.pass)
        }
    }

    public func requestResync(_ request: ResyncRequest, now: Date) async throws -> Int64 {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO resync_request (source, entity_type, since, full, requested_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [request.source, request.type, request.since?.millisecondsSince1970, request.full, now.millisecondsSince1970])
            return db.lastInsertedRowID
        }
    }

    public func takeResyncRequests(now: Date) async throws -> [ResyncRequest] {
        try await pool.write { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM resync_request WHERE taken_at IS NULL ORDER BY id")
            try db.execute(sql: "UPDATE resync_request SET taken_at = ? WHERE taken_at IS NULL", arguments: [now.millisecondsSince1970])
            return rows.map { row in
                ResyncRequest(
                    id: row["id"], source: row["source"], type: row["entity_type"],
                    since: (row["since"] as Int64?).map(Date.init(millisecondsSince1970:)), full: row["full"])
            }
        }
    }

    /// Whether the pass was still `owner`'s, and so ended.
    private static func end(_ db: Database, _ passID: Int64, owner: String, state: String, counts: ReconcileCounts, error: String?, now: Date) throws -> Bool {
        try db.execute(
            sql: """
                UPDATE reconcile_pass SET state = ?, finished_at = ?, heartbeat_at = ?, error = ?,
                    pages = ?, listed = ?, changed = ?, deleted = ?
                WHERE id = ? AND owner = ? AND state = 'running'
                """,
            arguments: [
                state, now.millisecondsSince1970, now.millisecondsSince1970, error,
                counts.pages, counts.listed, counts.changed, counts.deleted, passID, owner,
            ])
        return db.changesCount > 0
    }

    static func pass(_ row: Row) -> ReconcilePass {
        func date(_ column: String) -> Date? { (row[column] as Int64?).map(Date.init(millisecondsSince1970:)) }
        return ReconcilePass(
            id: row["id"],
            plan: ReconcilePassPlan(
                source: row["source"], type: row["entity_type"], mode: ReconcileMode(rawValue: row["mode"]) ?? .incremental,
                listedFrom: date("listed_from"), upperBound: date("upper_bound") ?? Date()),
            state: row["state"] == "running" && (row["heartbeat_at"] as Int64) == released ? "interrupted" : row["state"],
            owner: row["owner"], startedAt: date("started_at") ?? Date(), finishedAt: date("finished_at"),
            position: ListingPosition(since: date("resume_since"), page: row["resume_page"], cursor: row["resume_cursor"]),
            counts: ReconcileCounts(pages: row["pages"], listed: row["listed"], changed: row["changed"], deleted: row["deleted"]),
            error: row["error"], resumed: false)
    }
}
