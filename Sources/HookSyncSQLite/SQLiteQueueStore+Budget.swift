public import Foundation
import GRDB
public import HookSyncCore

/// The budget (`BudgetStore`) in the queue's database: migrations/0005_budget.sql.
///
/// An acquisition is one IMMEDIATE transaction of a few statements on primary-key and index
/// lookups: the file's write lock makes it atomic across processes. On PostgreSQL the same steps run
/// after `SELECT … FROM budget_source WHERE source = $1 FOR UPDATE`, which serialises them per source.
extension SQLiteQueueStore: BudgetStore {
    public func acquire(
        source: String, budget: SourceBudget, holder: String, slotExpiry: Duration, releasing: [BudgetSlot], clock: any WallClock
    ) async throws -> BudgetAdmission {
        let windowsText = budget.windowsText
        return try await writeBudget { db in
            for slot in releasing {
                try db.cachedStatement(sql: Statements.releaseBudgetSlot).execute(arguments: [slot.id])
            }
            // Read inside the transaction: grants are stamped in the order the write lock orders them.
            let now = clock.now.millisecondsSince1970
            guard let state = try Row.fetchOne(
                db.cachedStatement(sql: Statements.touchBudgetSource), arguments: [source, windowsText, budget.maxParallel])
            else { throw BudgetStoreError.missingSourceRow(source) }
            let lastSeq: Int64 = state["last_seq"]
            if let pausedUntil = state["paused_until"] as Int64?, pausedUntil > now {
                return .refused(.paused(until: Date(millisecondsSince1970: pausedUntil), reason: state["pause_reason"] ?? "provider asked to wait"))
            }

            try db.cachedStatement(sql: Statements.dropExpiredBudgetSlots).execute(arguments: [source, now])
            if let held = try Row.fetchOne(db.cachedStatement(sql: Statements.heldBudgetSlots), arguments: [source]) {
                let count: Int = held["count"]
                if count >= budget.maxParallel, let earliest = held["earliest"] as Int64? {
                    return .refused(.parallel(inFlight: count, expiresAt: Date(millisecondsSince1970: earliest)))
                }
            }

            // Of the windows that are spent, the one that frees last decides when to ask again.
            var spent: (window: BudgetWindow, freesAt: Int64)?
            let grantAt = try db.cachedStatement(sql: Statements.budgetGrantAt)
            for window in budget.windows {
                let nthMostRecent = lastSeq - Int64(window.requests) + 1
                guard nthMostRecent >= 1, let grantedAt = try Int64.fetchOne(grantAt, arguments: [source, nthMostRecent]) else { continue }
                let freesAt = grantedAt + window.per.milliseconds
                if freesAt > now, freesAt > spent?.freesAt ?? .min { spent = (window, freesAt) }
            }
            if let spent { return .refused(.window(spent.window, freesAt: Date(millisecondsSince1970: spent.freesAt))) }

            let seq = lastSeq + 1
            try db.cachedStatement(sql: Statements.recordBudgetGrant).execute(arguments: [source, seq, now])
            try db.cachedStatement(sql: Statements.advanceBudgetSequence).execute(arguments: [seq, source])
            let kept = Int64(budget.windows.map(\.requests).max() ?? 0)
            let longest = budget.windows.map(\.per).max() ?? .zero
            try db.cachedStatement(sql: Statements.forgetOldBudgetGrants).execute(arguments: [source, seq - kept])
            try db.cachedStatement(sql: Statements.forgetExpiredBudgetGrants).execute(arguments: [source, now - longest.milliseconds])
            try db.cachedStatement(sql: Statements.takeBudgetSlot).execute(arguments: [source, holder, now + slotExpiry.milliseconds])
            return .granted(BudgetSlot(source: source, id: db.lastInsertedRowID))
        }
    }

    public func release(_ slots: [BudgetSlot]) async throws {
        guard !slots.isEmpty else { return }
        try await writeBudget { db in
            for slot in slots {
                try db.cachedStatement(sql: Statements.releaseBudgetSlot).execute(arguments: [slot.id])
            }
        }
    }

    public func pause(source: String, until: Date, reason: String) async throws {
        try await pool.write { db in
            try db.cachedStatement(sql: Statements.pauseBudgetSource).execute(arguments: [source, until.millisecondsSince1970, reason])
        }
    }

    /// A budget transaction needs to be atomic across processes, not durable: a grant lost to a power
    /// cut lets through at most the requests of the moment before it. So its commit does not wait for
    /// the disk (WAL with synchronous=NORMAL, on this transaction only), which at the default
    /// synchronous=full would make every provider request wait for an fsync of the queue's file.
    private func writeBudget<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.writeWithoutTransaction { db in
            let configured = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? 2
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            defer { try? db.execute(sql: "PRAGMA synchronous = \(configured)") }
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }

    public func budgetStatus(now: Date) async throws -> [SourceBudgetStatus] {
        try await pool.read { db in try Self.budgetStatus(db, now: now.millisecondsSince1970) }
    }

    static func budgetStatus(_ db: Database, now: Int64) throws -> [SourceBudgetStatus] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM budget_source ORDER BY source")).map { row in
            let source: String = row["source"]
            let windows = try SourceBudget.parseWindows(row["windows"]).map { window in
                let usage = try Row.fetchOne(
                    db.cachedStatement(sql: Statements.budgetWindowUsage), arguments: [source, now - window.per.milliseconds])
                let oldest = usage?["oldest"] as Int64?
                return WindowUsage(
                    window: window, used: usage?["used"] ?? 0,
                    refillsAt: oldest.map { Date(millisecondsSince1970: $0 + window.per.milliseconds) })
            }
            let inFlight = try Int.fetchOne(
                db.cachedStatement(sql: "SELECT count(*) FROM budget_slot WHERE source = ? AND expires_at > ?"), arguments: [source, now]) ?? 0
            let pausedUntil = (row["paused_until"] as Int64?).flatMap { $0 > now ? Date(millisecondsSince1970: $0) : nil }
            return SourceBudgetStatus(
                source: source, windows: windows, maxParallel: row["max_parallel"], inFlight: inFlight,
                pausedUntil: pausedUntil, pauseReason: pausedUntil == nil ? nil : row["pause_reason"])
        }
    }
}

enum BudgetStoreError: Error, CustomStringConvertible {
    case missingSourceRow(String)

    var description: String {
        switch self {
        case .missingSourceRow(let source): "the budget row of source \(source) could not be written"
        }
    }
}

extension Duration {
    var milliseconds: Int64 { Int64((timeInterval * 1000).rounded()) }
}

extension Statements {
    // MARK: Budgets (BudgetStore)

    /// Creates the source's row on first use and records the limits it is asked with (for status).
    static let touchBudgetSource = """
        INSERT INTO budget_source (source, windows, max_parallel) VALUES (?, ?, ?)
        ON CONFLICT (source) DO UPDATE SET windows = excluded.windows, max_parallel = excluded.max_parallel
        RETURNING last_seq, paused_until, pause_reason
        """

    static let dropExpiredBudgetSlots = "DELETE FROM budget_slot WHERE source = ? AND expires_at <= ?"

    static let heldBudgetSlots = "SELECT count(*) AS count, min(expires_at) AS earliest FROM budget_slot WHERE source = ?"

    static let budgetGrantAt = "SELECT granted_at FROM budget_grant WHERE source = ? AND seq = ?"

    static let recordBudgetGrant = "INSERT INTO budget_grant (source, seq, granted_at) VALUES (?, ?, ?)"

    static let advanceBudgetSequence = "UPDATE budget_source SET last_seq = ? WHERE source = ?"

    /// Keeps the largest window's worth of grants; older ones can no longer refuse anything.
    static let forgetOldBudgetGrants = "DELETE FROM budget_grant WHERE source = ? AND seq <= ?"

    /// And grants older than the longest window, a few from the front at a time: a high rate (a
    /// benchmark's `1000000/1s`) keeps only its last second's rows. Constant work per grant.
    static let forgetExpiredBudgetGrants = """
        DELETE FROM budget_grant WHERE source = ?1 AND granted_at <= ?2
            AND seq IN (SELECT seq FROM budget_grant WHERE source = ?1 ORDER BY seq LIMIT 4)
        """

    static let takeBudgetSlot = "INSERT INTO budget_slot (source, holder, expires_at) VALUES (?, ?, ?)"

    static let releaseBudgetSlot = "DELETE FROM budget_slot WHERE id = ?"

    /// A later pause never shortens an earlier one.
    static let pauseBudgetSource = """
        INSERT INTO budget_source (source, paused_until, pause_reason) VALUES (?1, ?2, ?3)
        ON CONFLICT (source) DO UPDATE SET
            pause_reason = CASE WHEN coalesce(paused_until, 0) < ?2 THEN ?3 ELSE pause_reason END,
            paused_until = max(coalesce(paused_until, 0), ?2)
        """

    /// Grants in `(since, now]`: grants are stamped in sequence order, so this is a range of the key.
    static let budgetWindowUsage = """
        SELECT count(*) AS used, min(granted_at) AS oldest FROM budget_grant WHERE source = ? AND granted_at > ?
        """
}
