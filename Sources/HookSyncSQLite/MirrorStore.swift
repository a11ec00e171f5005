public import Foundation
import GRDB
public import HookSyncCore

/// The mirror sink: the latest copy of each entity per (source, type, id), in its own SQLite file.
///
/// Writes never regress. Copies are ordered by the provider's modification time, then by when they
/// were observed (`SyncRecord.observedAt`: when the fetch response or listing page that carried the
/// copy was received), because providers stamp whole seconds or milliseconds and several changes can
/// share one time. A live copy replaces the stored one (live or tombstone) if its modification time
/// is newer, or the same and it was observed later; a tombstone, which has no time of its own,
/// replaces a copy observed no later than itself. So the order in which copies are written does not
/// matter: a listing page read before a fetch never overwrites what the fetch stored, and a copy
/// fetched before a deletion was seen cannot resurrect the entity (docs/configuration.md, "Sinks and
/// equal modification times"). Concurrent writers share transactions (`GroupCommit`), so a worker's
/// many fetches cost a few fsyncs, not one each. A separate file means the mirror's writer never waits for the queue's.
///
/// ```swift
/// let mirror = try MirrorStore.open(path: "./data/mirror.sqlite")
/// try await mirror.write([SyncRecord(key: key, change: .deleted, syncedAt: Date())])
/// for row in try await mirror.rows(source: "economic", type: nil) { print(row.key) }
/// ```
public final class MirrorStore: Sink {
    let pool: DatabasePool
    private let batches: GroupCommit<SyncRecord>

    init(pool: DatabasePool) {
        self.pool = pool
        // A write waits 10 ms for company before it commits. Only an item's settling waits on it, not
        // a fetch, and without the wait the worker's mirror committed (and fsynced) for nearly every
        // fetch (docs/decisions.md#completions-and-mirror-writes-linger-10-ms-for-company).
        self.batches = GroupCommit(maxBatch: 1_024, linger: .milliseconds(10)) { [pool] records in
            try await pool.write { db in try Self.apply(records, in: db) }
        }
    }

    /// Opens the mirror file, creating it and applying its migrations (`migrations/mirror/`) as needed:
    /// the mirror is derived data that only hooksync writes, so there is no separate migrate step.
    public static func open(path: String, options: SQLiteOptions = SQLiteOptions()) throws -> MirrorStore {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // Several processes (two workers, a reconcile) may open a new mirror, or one that lacks a
        // migration, at once. Switching a new file to WAL can then be refused as busy, and GRDB's
        // migrator reads which migrations are applied before it takes the write lock, so the loser
        // of that race runs a migration the winner has just applied, and fails on it (a table or
        // column that exists, or the second record of the migration). Each migration is one
        // transaction with its record, so the loser's attempt rolls back whole, and opening again
        // carries on from where the winner got to.
        for attempt in 1..<10 {
            do {
                return try openAndMigrate(path: path, options: options)
            } catch let error as DatabaseError where [.SQLITE_ERROR, .SQLITE_BUSY, .SQLITE_CONSTRAINT].contains(error.resultCode) {
                Thread.sleep(forTimeInterval: 0.02 * Double(attempt))
            }
        }
        return try openAndMigrate(path: path, options: options)
    }

    private static func openAndMigrate(path: String, options: SQLiteOptions) throws -> MirrorStore {
        let pool = try SQLiteSchema.openPool(path: path, options: options)
        do {
            try migrator.migrate(pool)
        } catch {
            try? pool.close()
            throw error
        }
        return MirrorStore(pool: pool)
    }

    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        for migration in embeddedMirrorMigrations {
            let sql = migration.sql
            migrator.registerMigration(migration.identifier) { db in try db.execute(sql: sql) }
        }
        return migrator
    }()

    public func close() throws {
        try pool.close()
    }

    public func write(_ records: [SyncRecord]) async throws {
        guard !records.isEmpty else { return }
        try await batches.submit(records)
    }

    static func apply(_ records: [SyncRecord], in db: Database) throws {
        let live = try db.cachedStatement(sql: MirrorStatements.upsertLive)
        let tombstone = try db.cachedStatement(sql: MirrorStatements.tombstone)
        for record in records {
            let key: [(any DatabaseValueConvertible)?] = [record.key.source, record.key.type, record.key.id]
            switch record.change {
            case .live(let json, let modified):
                try live.execute(arguments: StatementArguments(key + [
                    String(decoding: json, as: UTF8.self), modified?.millisecondsSince1970, record.syncedAt.millisecondsSince1970,
                    record.observedAt.millisecondsSince1970,
                ]))
            case .deleted:
                try tombstone.execute(arguments: StatementArguments(key + [
                    record.syncedAt.millisecondsSince1970, record.observedAt.millisecondsSince1970,
                ]))
            }
        }
    }

    /// Reconciliation's write: each listed row newer than the stored copy (or absent, or of unknown
    /// age, or as old and observed later) replaces it; every listed row is marked as seen by `pass`.
    /// One transaction per call. `observedAt` is when the page was received, `syncedAt` by default.
    ///
    /// `firstListed` leaves out rows this pass had already listed: a pass resumed after a crash
    /// lists the last committed second again, and its counts must not count those rows twice.
    ///
    /// A page takes a few statements of many rows each, not three statements a row: at a listing's
    /// thousands of rows a second, binding and stepping one statement per row was most of the cost
    /// (docs/decisions.md#a-page-is-written-a-hundred-rows-a-statement).
    public func applyListing(_ rows: [ListedEntity], pass: Int64, observedAt: Date? = nil, syncedAt: Date) async throws -> ListingApplied {
        try await applyListing(pages: [ObservedListingPage(rows: rows, observedAt: observedAt ?? syncedAt)], pass: pass, syncedAt: syncedAt)[0]
    }

    /// Several pages of a listing in one transaction, in their order (a row listed twice ends as the
    /// later page has it), with what each page did. A commit is an fsync, so pages that are ready
    /// together are written together.
    public func applyListing(pages: [ObservedListingPage], pass: Int64, syncedAt: Date) async throws -> [ListingApplied] {
        guard pages.contains(where: { !$0.rows.isEmpty }) else { return pages.map { _ in ListingApplied(firstListed: 0, changed: 0) } }
        // Grouped and encoded before the transaction, so the write lock is held for SQL only (a pass's
        // pace is set by its listing, and the writer takes CPU from it).
        let grouped = pages.map { (groups: ListingBatch.group($0.rows), observedAt: $0.observedAt.millisecondsSince1970) }
        let syncedAt = syncedAt.millisecondsSince1970
        return try await pool.write { db in
            try grouped.map { page in
                try ListingBatch.apply(page.groups, pass: pass, observedAt: page.observedAt, syncedAt: syncedAt, in: db)
            }
        }
    }

    /// Notes where the mirror stands as a full pass begins (`migrations/mirror/0004_full_pass_start.sql`),
    /// so that its closing `tombstoneUnlisted` looks only at rows that were there before it. A pass that
    /// is resumed keeps the note its first run made. A failed pass is not resumed, and its note goes
    /// when the next full pass of its (source, type) begins: one pass of each runs at a time.
    public func beginFullPass(source: String, type: String, pass: Int64, passStartedAt: Date) async throws {
        try await pool.write { db in
            try db.cachedStatement(sql: MirrorStatements.forgetOtherFullPasses).execute(
                arguments: [source, type, pass, passStartedAt.millisecondsSince1970])
            try db.cachedStatement(sql: MirrorStatements.beginFullPass).execute(
                arguments: [pass, passStartedAt.millisecondsSince1970, source, type])
        }
    }

    /// After a full listing: tombstones the live entities of (source, type) that the pass did not list,
    /// except those observed since the pass began (created upstream after the listing passed them).
    /// A tombstone made here counts as observed when the pass began: a live copy with the same
    /// modification time observed after that replaces it, whether it is written before or after.
    ///
    /// Only rows that were in the mirror when the pass began can qualify, so when `beginFullPass` noted
    /// where that was, rows above it are not looked at, and a pass into a (source, type) the mirror did
    /// not hold looks at none: a first resync of a million rows no longer reads them all again
    /// (docs/decisions.md#a-full-passs-tombstone-scan-is-bounded).
    public func tombstoneUnlisted(source: String, type: String, pass: Int64, passStartedAt: Date, syncedAt: Date) async throws -> Int {
        try await pool.write { db in
            let bound = try Int64.fetchOne(
                db.cachedStatement(sql: MirrorStatements.endFullPass), arguments: [pass, passStartedAt.millisecondsSince1970]) ?? .max
            guard bound > 0 else { return 0 }
            try db.cachedStatement(sql: MirrorStatements.tombstoneUnlisted).execute(
                arguments: [syncedAt.millisecondsSince1970, source, type, pass, passStartedAt.millisecondsSince1970, bound])
            return db.changesCount
        }
    }

    /// One stored copy.
    public func row(_ key: EntityKey) async throws -> MirrorRow? {
        try await pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: MirrorStatements.one), arguments: [key.source, key.type, key.id]).map(MirrorRow.init(row:))
        }
    }

    /// Every stored copy, optionally of one source and type, in (source, type, id) order, handed to
    /// `body` one at a time so an export of millions of rows runs in constant memory.
    public func forEachRow(source: String?, type: String?, _ body: (MirrorRow) throws -> Void) throws {
        try pool.read { db in
            let rows = try Row.fetchCursor(db, sql: MirrorStatements.all, arguments: ["source": source, "type": type])
            while let row = try rows.next() { try body(MirrorRow(row: row)) }
        }
    }

    /// How many entities (deleted ones included) the mirror holds per (source, type), in that order.
    public func entityCounts() throws -> [(source: String, type: String, count: Int)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT source, entity_type, count(*) FROM mirror_entity GROUP BY source, entity_type ORDER BY source, entity_type")
                .map { (source: $0[0], type: $0[1], count: $0[2]) }
        }
    }

    public func rows(source: String?, type: String?) async throws -> [MirrorRow] {
        var rows: [MirrorRow] = []
        try forEachRow(source: source, type: type) { rows.append($0) }
        return rows
    }
}

/// One page of a listing as the mirror writes it: its rows, and when the page was received.
public struct ObservedListingPage: Sendable {
    public var rows: [ListedEntity]
    public var observedAt: Date

    public init(rows: [ListedEntity], observedAt: Date) {
        self.rows = rows
        self.observedAt = observedAt
    }
}

/// What writing one page of a listing did.
public struct ListingApplied: Sendable, Hashable {
    /// Rows this pass had not listed before (a resumed pass lists its last second again).
    public var firstListed: Int
    /// Rows newer than the mirror's copy (or new to it), and so written: a row as old as the copy
    /// and observed later counts only if its JSON differs.
    public var changed: Int

    public init(firstListed: Int, changed: Int) {
        self.firstListed = firstListed
        self.changed = changed
    }
}

/// One entity as the mirror holds it.
public struct MirrorRow: Sendable, Hashable {
    public var key: EntityKey
    /// The JSON object; `nil` once deleted.
    public var data: Data?
    public var remoteModifiedAt: Date?
    public var syncedAt: Date
    /// When the copy was observed (see `SyncRecord.observedAt`); `syncedAt` for a copy written before
    /// the mirror recorded it.
    public var observedAt: Date
    public var deleted: Bool

    init(row: Row) {
        key = EntityKey(source: row["source"], type: row["entity_type"], id: row["entity_id"])
        data = (row["data"] as String?).map { Data($0.utf8) }
        remoteModifiedAt = (row["remote_modified_at"] as Int64?).map(Date.init(millisecondsSince1970:))
        syncedAt = Date(millisecondsSince1970: row["synced_at"])
        observedAt = (row["observed_at"] as Int64?).map(Date.init(millisecondsSince1970:)) ?? syncedAt
        deleted = row["deleted"] as Bool
    }
}

/// The mirror's SQL. The WHERE of each upsert is the no-regression rule.
enum MirrorStatements {
    static let upsertLive = """
        INSERT INTO mirror_entity (source, entity_type, entity_id, data, remote_modified_at, synced_at, deleted, observed_at)
        VALUES (?, ?, ?, ?, ?, ?, 0, ?)
        ON CONFLICT (source, entity_type, entity_id) DO UPDATE SET
            data = excluded.data, remote_modified_at = excluded.remote_modified_at,
            synced_at = excluded.synced_at, deleted = 0, observed_at = excluded.observed_at
        WHERE \(noRegression)
        """

    /// A live copy replaces the stored one (live or tombstone) unless it is older, or as old and
    /// observed no later. A copy of unknown age replaces any, and any replaces one of unknown age.
    static let noRegression = """
        mirror_entity.remote_modified_at IS NULL OR excluded.remote_modified_at IS NULL
           OR excluded.remote_modified_at > mirror_entity.remote_modified_at
           OR (\(tie))
        """

    /// As old as the stored copy, and observed later. A row written before `observed_at` existed was
    /// observed no later than it was synced.
    static let tie = """
        excluded.remote_modified_at = mirror_entity.remote_modified_at
           AND excluded.observed_at > coalesce(mirror_entity.observed_at, mirror_entity.synced_at)
        """

    /// Keeps the last live copy's modification time, so only a newer copy, or one as old observed
    /// after the deletion was, can bring it back. A tombstone has no time of its own: it replaces
    /// whatever was observed no later than the deletion, and leaves a copy observed after it (the
    /// entity existed then).
    static let tombstone = """
        INSERT INTO mirror_entity (source, entity_type, entity_id, data, remote_modified_at, synced_at, deleted, observed_at)
        VALUES (?, ?, ?, NULL, NULL, ?, 1, ?)
        ON CONFLICT (source, entity_type, entity_id) DO UPDATE SET
            data = NULL, synced_at = excluded.synced_at, deleted = 1, observed_at = excluded.observed_at
        WHERE excluded.observed_at >= coalesce(mirror_entity.observed_at, mirror_entity.synced_at)
        """

    /// A full pass's deletions: live entities it did not list, except those observed since it began
    /// (created upstream after the listing had passed them). The tombstones count as observed when
    /// the pass began (?5).
    /// Also only rows there when the pass began: at or below its rowid bound. The bound is checked on
    /// the key index's entries, before a row is read.
    static let tombstoneUnlisted = """
        UPDATE mirror_entity SET deleted = 1, data = NULL, synced_at = ?1, observed_at = ?5
        WHERE source = ?2 AND entity_type = ?3 AND deleted = 0
          AND (listed_in_pass IS NULL OR listed_in_pass != ?4) AND coalesce(observed_at, synced_at) < ?5 AND rowid <= ?6
        """

    /// The bound is the table's largest rowid, which every later insert exceeds (SQLite gives a new row
    /// one more than the largest, until that is the largest possible), or 0 when nothing of the pass's
    /// (source, type) is there. A resumed pass's first note stands. (A VACUUM may renumber a rowid
    /// table's rows; hooksync never runs one, and one run by hand during a full pass could hide rows
    /// from its tombstoning until the next full pass.)
    static let beginFullPass = """
        INSERT INTO mirror_full_pass (pass, pass_started_at, source, entity_type, rowid_bound)
        VALUES (?1, ?2, ?3, ?4, CASE WHEN EXISTS (SELECT 1 FROM mirror_entity WHERE source = ?3 AND entity_type = ?4)
                                     THEN (SELECT max(rowid) FROM mirror_entity) ELSE 0 END)
        ON CONFLICT (pass, pass_started_at) DO NOTHING
        """

    static let forgetOtherFullPasses = """
        DELETE FROM mirror_full_pass WHERE source = ? AND entity_type = ? AND NOT (pass = ? AND pass_started_at = ?)
        """
    /// The pass's note, taken as its scan runs: the bound, or no row for a pass that made none.
    static let endFullPass = "DELETE FROM mirror_full_pass WHERE pass = ? AND pass_started_at = ? RETURNING rowid_bound"

    static let one = "SELECT * FROM mirror_entity WHERE source = ? AND entity_type = ? AND entity_id = ?"

    static let all = """
        SELECT * FROM mirror_entity
        WHERE (:source IS NULL OR source = :source) AND (:type IS NULL OR entity_type = :type)
        ORDER BY source, entity_type, entity_id
        """
}

/// The statements of `applyListing`, each over up to `chunk` rows. A shorter last chunk repeats its
/// final row up to `chunk`, so every statement has one text and stays in the statement cache; the
/// repeats change nothing (the same id twice in an `IN`, the same row upserted twice).
enum ListingBatch {
    static let chunk = 100

    /// A listed row as the statements bind it.
    struct Listed: Sendable {
        var id: String
        /// The row's JSON as the listing gave it, UTF-8 (the listing parsers check it is), bound as
        /// text without first being made a `String`: a copy per row on the writer's side.
        var json: Data
        var modified: Int64?
    }

    /// The page's rows by (source, type), the last copy of an id winning if a page lists it twice.
    /// A page is nearly always of one (source, type), so the current group is tried first.
    static func group(_ rows: [ListedEntity]) -> [(key: (String, String), rows: [Listed])] {
        var groups: [(key: (String, String), rows: [Listed])] = []
        var positions: [[String: Int]] = []
        var current = -1
        for listed in rows {
            let key = (listed.key.source, listed.key.type)
            if current < 0 || groups[current].key != key {
                if let known = groups.firstIndex(where: { $0.key == key }) {
                    current = known
                } else {
                    groups.append((key, []))
                    positions.append(Dictionary(minimumCapacity: rows.count))
                    current = groups.count - 1
                }
            }
            let row = Listed(id: listed.key.id, json: listed.json,
                          modified: listed.remoteModifiedAt?.millisecondsSince1970)
            if let seen = positions[current][row.id] {
                groups[current].rows[seen] = row
            } else {
                positions[current][row.id] = groups[current].rows.count
                groups[current].rows.append(row)
            }
        }
        return groups
    }

    /// One page, inside the caller's transaction, a chunk at a time.
    ///
    /// A backfill lists rows the mirror lacks; a re-listing, rows it has. A row the mirror has needs
    /// its stored state read first (to write it only if newer, and to count it right), a row it lacks
    /// only an insert. So after a chunk in which nothing was stored, the next is inserted straight
    /// away where it is absent, and only what was already there is read and compared: a backfill
    /// skips the read, a re-listing never pays for the insert it would have refused
    /// (docs/decisions.md#a-backfill-inserts-where-absent-and-reads-only-what-was-there).
    ///
    /// A row as old as the stored copy (a re-listing of an unchanged mirror is all such rows) and
    /// observed later replaces it, as any later copy does; it counts as changed only if its JSON
    /// differs (or the copy was a tombstone). One statement writes those rows and says which
    /// differed, so a re-listing costs, as before, one update a row; one observed no later is only
    /// marked listed.
    static func apply(_ groups: [(key: (String, String), rows: [Listed])], pass: Int64, observedAt: Int64, syncedAt: Int64, in db: Database) throws -> ListingApplied {
        var applied = ListingApplied(firstListed: 0, changed: 0)
        let stamps = Stamps(pass: pass, observedAt: observedAt, syncedAt: syncedAt)
        for ((source, type), group) in groups {
            var expectAbsent = false
            for chunk in chunks(of: group) {
                let present = expectAbsent ? try insertAbsent(chunk, source: source, type: type, stamps: stamps, in: db) : Array(chunk)
                applied.firstListed += chunk.count - present.count
                applied.changed += chunk.count - present.count
                guard !present.isEmpty else { continue }
                let stored = try storedState(of: present.map(\.id), source: source, type: type, in: db)
                expectAbsent = stored.isEmpty
                // Kept: older than the stored copy, or as old and observed no later.
                var newer: [Listed] = [], tied: [Listed] = [], kept: [String] = []
                for row in present {
                    let current = stored[row.id]
                    if current?.listedInPass != pass { applied.firstListed += 1 }
                    if let current, let modified = row.modified, let storedModified = current.remoteModifiedAt, modified <= storedModified {
                        if modified == storedModified, observedAt > current.observedAt { tied.append(row) } else { kept.append(row.id) }
                    } else {
                        newer.append(row)
                    }
                }
                try upsert(newer, source: source, type: type, stamps: stamps, in: db)
                applied.changed += newer.count
                applied.changed += try upsertTied(tied, source: source, type: type, stamps: stamps, in: db)
                try markListed(kept, source: source, type: type, pass: pass, in: db)
            }
        }
        return applied
    }

    /// What every row of a page is written with: the pass that listed it, when the page was received,
    /// when it is written.
    struct Stamps {
        var pass: Int64
        var observedAt: Int64
        var syncedAt: Int64
    }

    /// Inserts the rows the mirror lacks, leaving the others alone; the rows it left, already stored.
    ///
    /// Which rows went in is told by their rowids rather than by `RETURNING`: a new row's rowid is one
    /// above the table's largest, so the rows above the largest before the insert are the ones it
    /// added. In a backfill every row goes in, the count of changes says so, and nothing is read back;
    /// `RETURNING` built a result row, and the caller a `String` and a set entry, for each of them.
    static func insertAbsent(_ rows: ArraySlice<Listed>, source: String, type: String, stamps: Stamps, in db: Database) throws -> [Listed] {
        let largestBefore = try Int64.fetchOne(db.cachedStatement(sql: largestRowIDSQL)) ?? 0
        // Past the largest rowid SQLite picks new ones at random: the rule above no longer holds.
        guard largestBefore < Int64.max else { return Array(rows) }
        let statement = try db.cachedStatement(sql: insertAbsentSQL)
        try bindListed(rows, source: source, type: type, stamps: stamps, to: statement)
        try statement.execute()
        // The rows of a group are distinct (`group`) and the padding repeats one of them, so the
        // changes number the distinct rows inserted.
        if db.changesCount == rows.count { return [] }
        let inserted = try Set(String.fetchAll(db.cachedStatement(sql: insertedSinceSQL), arguments: [largestBefore]))
        return rows.filter { !inserted.contains($0.id) }
    }

    // The statements' texts, made once rather than on every call (each is some 3 KB of placeholders).
    static let insertAbsentSQL = """
        INSERT INTO mirror_entity (source, entity_type, entity_id, data, remote_modified_at, synced_at, deleted, listed_in_pass, observed_at)
        VALUES \(listedValues)
        ON CONFLICT (source, entity_type, entity_id) DO NOTHING
        """
    static let largestRowIDSQL = "SELECT max(rowid) FROM mirror_entity"
    static let insertedSinceSQL = "SELECT entity_id FROM mirror_entity WHERE rowid > ?"
    static let storedStateSQL = """
        SELECT entity_id, remote_modified_at, listed_in_pass, coalesce(observed_at, synced_at) FROM mirror_entity
        WHERE source = ?1 AND entity_type = ?2 AND entity_id IN (\(placeholders(from: 3, count: chunk)))
        """
    static let upsertSQL = """
        INSERT INTO mirror_entity (source, entity_type, entity_id, data, remote_modified_at, synced_at, deleted, listed_in_pass, observed_at)
        VALUES \(listedValues)
        ON CONFLICT (source, entity_type, entity_id) DO UPDATE SET
            data = excluded.data, remote_modified_at = excluded.remote_modified_at,
            synced_at = excluded.synced_at, deleted = 0, listed_in_pass = excluded.listed_in_pass, observed_at = excluded.observed_at
        WHERE \(MirrorStatements.noRegression)
        """
    /// Rows as old as the stored copy and observed later: each replaces the copy, keeping its
    /// `synced_at` if the JSON is the same (a re-listing of what the mirror holds), and says which
    /// did (the SET expressions read the stored row; RETURNING, the written one). A chunk's padding
    /// repeats a row just written, now observed no later: it returns nothing.
    static let upsertTiedSQL = """
        INSERT INTO mirror_entity (source, entity_type, entity_id, data, remote_modified_at, synced_at, deleted, listed_in_pass, observed_at)
        VALUES \(listedValues)
        ON CONFLICT (source, entity_type, entity_id) DO UPDATE SET
            synced_at = CASE WHEN mirror_entity.deleted = 0 AND mirror_entity.data IS excluded.data
                             THEN mirror_entity.synced_at ELSE excluded.synced_at END,
            data = excluded.data, deleted = 0, listed_in_pass = excluded.listed_in_pass, observed_at = excluded.observed_at
        WHERE \(MirrorStatements.tie)
        RETURNING synced_at
        """
    static let markListedSQL = """
        UPDATE mirror_entity SET listed_in_pass = ?3
        WHERE source = ?1 AND entity_type = ?2 AND entity_id IN (\(placeholders(from: 4, count: chunk)))
        """

    struct StoredState {
        var remoteModifiedAt: Int64?
        var listedInPass: Int64?
        /// When the stored copy was observed (`synced_at` for a copy written before that was recorded).
        var observedAt: Int64
    }

    static func storedState(of ids: [String], source: String, type: String, in db: Database) throws -> [String: StoredState] {
        let statement = try db.cachedStatement(sql: storedStateSQL)
        var state: [String: StoredState] = [:]
        state.reserveCapacity(ids.count)
        for slice in chunks(of: ids) {
            try bindIDs(slice, after: [.text(source), .text(type)], to: statement)
            let found = try Row.fetchCursor(statement)
            while let row = try found.next() {
                let id: String = row[0]
                state[id] = StoredState(remoteModifiedAt: row[1], listedInPass: row[2], observedAt: row[3])
            }
        }
        return state
    }

    /// Writes the rows and marks them listed, under the mirror's no-regression rule.
    static func upsert(_ rows: [Listed], source: String, type: String, stamps: Stamps, in db: Database) throws {
        guard !rows.isEmpty else { return }
        let statement = try db.cachedStatement(sql: upsertSQL)
        for slice in chunks(of: rows) {
            try bindListed(slice, source: source, type: type, stamps: stamps, to: statement)
            try statement.execute()
        }
    }

    /// Writes rows as old as their stored copies and observed later (`upsertTiedSQL`); how many of
    /// them differed from the copy. A row whose copy was synced in this very write (listed twice in
    /// one transaction, the same both times) is counted once more than it should be.
    static func upsertTied(_ rows: [Listed], source: String, type: String, stamps: Stamps, in db: Database) throws -> Int {
        guard !rows.isEmpty else { return 0 }
        let statement = try db.cachedStatement(sql: upsertTiedSQL)
        var differing = 0
        for slice in chunks(of: rows) {
            try bindListed(slice, source: source, type: type, stamps: stamps, to: statement)
            let synced = try Int64.fetchCursor(statement)
            while let syncedAt = try synced.next() {
                if syncedAt == stamps.syncedAt { differing += 1 }
            }
        }
        return differing
    }

    /// The VALUES rows of an insert over a chunk, bound by `bindListed`.
    static let listedValues = (0..<chunk).map { "(?1, ?2, ?\(6 + 3 * $0), ?\(7 + 3 * $0), ?\(8 + 3 * $0), ?3, 0, ?4, ?5)" }.joined(separator: ", ")

    /// Binds the values of a statement over a chunk of rows, padded to `chunk`, as `listedValues` numbers them.
    static func bindListed(_ rows: ArraySlice<Listed>, source: String, type: String, stamps: Stamps, to statement: Statement) throws {
        let values = DirectBindings(statement)
        try values.bind(source, at: 1)
        try values.bind(type, at: 2)
        try values.bind(stamps.syncedAt, at: 3)
        try values.bind(stamps.pass, at: 4)
        try values.bind(stamps.observedAt, at: 5)
        for offset in 0..<chunk {
            let row = rows[rows.startIndex + min(offset, rows.count - 1)]
            let first = Int32(6 + 3 * offset)
            try values.bind(row.id, at: first)
            try values.bind(utf8Text: row.json, at: first + 1)
            try values.bind(row.modified, at: first + 2)
        }
    }

    /// Binds `leading` from ?1 on, then the ids padded to `chunk`.
    static func bindIDs(_ ids: ArraySlice<String>, after leading: [DirectBindings.Value], to statement: Statement) throws {
        let values = DirectBindings(statement)
        for (offset, value) in leading.enumerated() { try values.bind(value, at: Int32(1 + offset)) }
        for offset in 0..<chunk {
            try values.bind(ids[ids.startIndex + min(offset, ids.count - 1)], at: Int32(1 + leading.count + offset))
        }
    }

    static func markListed(_ ids: [String], source: String, type: String, pass: Int64, in db: Database) throws {
        guard !ids.isEmpty else { return }
        let statement = try db.cachedStatement(sql: markListedSQL)
        for slice in chunks(of: ids) {
            try bindIDs(slice, after: [.text(source), .text(type), .integer(pass)], to: statement)
            try statement.execute()
        }
    }

    static func placeholders(from first: Int, count: Int) -> String {
        (first..<(first + count)).map { "?\($0)" }.joined(separator: ", ")
    }

    static func chunks<Element>(of elements: [Element]) -> [ArraySlice<Element>] {
        stride(from: 0, to: elements.count, by: chunk).map { elements[$0..<min($0 + chunk, elements.count)] }
    }
}
