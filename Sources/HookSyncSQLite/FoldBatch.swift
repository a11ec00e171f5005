import GRDB
import HookSyncCore

/// The fold's statements over many entities at once, in chunks that keep each statement's parameters
/// well under SQLite's limit. A chunk's SQL depends only on its size, so the statements cache:
/// at most `chunk` texts of each.
enum FoldBatch {
    static let chunk = 100

    /// Each key's entity row id, creating the rows that do not exist yet (`isNew`).
    static func entityIDs(_ db: Database, _ keys: [EntityKey]) throws -> [EntityKey: (id: Int64, isNew: Bool)] {
        var found: [EntityKey: (id: Int64, isNew: Bool)] = [:]
        found.reserveCapacity(keys.count)
        for slice in chunks(keys) {
            // A join from VALUES uses the unique index; `(a, b, c) IN (VALUES …)` scans the table.
            let sql = "WITH key(source, entity_type, entity_id) AS (VALUES " + rows(slice.count, "(?, ?, ?)") + ") "
                + "SELECT entity.id, key.source, key.entity_type, key.entity_id FROM key "
                + "JOIN entity ON entity.source = key.source AND entity.entity_type = key.entity_type AND entity.entity_id = key.entity_id"
            let cursor = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments(of: slice))
            while let row = try cursor.next() {
                found[EntityKey(source: row[1], type: row[2], id: row[3])] = (row[0], false)
            }
        }
        let missing = keys.filter { found[$0] == nil }
        for slice in chunks(missing) {
            let sql = "INSERT INTO entity (source, entity_type, entity_id) VALUES " + rows(slice.count, "(?, ?, ?)")
                + " RETURNING id, source, entity_type, entity_id"
            let cursor = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments(of: slice))
            while let row = try cursor.next() {
                found[EntityKey(source: row[1], type: row[2], id: row[3])] = (row[0], true)
            }
        }
        return found
    }

    /// The pending work item of each of these entities that has one, by entity id.
    static func pendingItems(_ db: Database, ofEntities entities: [Int64]) throws -> [Int64: Row] {
        guard !entities.isEmpty else { return [:] }
        var items: [Int64: Row] = [:]
        let ids = "[" + entities.map(String.init).joined(separator: ",") + "]"
        for row in try Row.fetchAll(db.cachedStatement(sql: Statements.pendingItemsOfEntities), arguments: [ids]) {
            items[row["entity"]] = row
        }
        return items
    }

    /// New pending items, one per entity; returns each one's id by entity id.
    static func insertPendingItems(_ db: Database, _ items: [(entity: Int64, group: FoldGroup)], now: Int64) throws -> [Int64: Int64] {
        var ids: [Int64: Int64] = [:]
        ids.reserveCapacity(items.count)
        for slice in chunks(items) {
            let sql = "INSERT INTO work_item (entity, state, actions, event_count, first_event_at, last_event_at, extras, run_at, created_at) VALUES "
                + rows(slice.count, "(?, 'pending', ?, ?, ?, ?, ?, ?, ?)") + " RETURNING id, entity"
            var values: [(any DatabaseValueConvertible)?] = []
            values.reserveCapacity(slice.count * 8)
            for (entity, group) in slice {
                values += [entity, group.actions.description, group.eventIDs.count, group.firstEventAt, group.lastEventAt,
                           group.extras.jsonTextOrNil(), now, now] as [(any DatabaseValueConvertible)?]
            }
            let cursor = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: StatementArguments(values))
            while let row = try cursor.next() {
                ids[row[1]] = row[0]
            }
        }
        return ids
    }

    /// Records which work item each event was folded into.
    static func link(_ db: Database, _ links: [(event: Int64, item: Int64)]) throws {
        guard !links.isEmpty else { return }
        let pairs = "[" + links.map { "[\($0.event),\($0.item)]" }.joined(separator: ",") + "]"
        try db.cachedStatement(sql: Statements.linkEventsToItems).execute(arguments: [pairs])
    }

    private static func chunks<Element>(_ elements: [Element]) -> [ArraySlice<Element>] {
        stride(from: 0, to: elements.count, by: chunk).map { elements[$0..<min($0 + chunk, elements.count)] }
    }

    private static func rows(_ count: Int, _ row: String) -> String {
        Array(repeating: row, count: count).joined(separator: ", ")
    }

    private static func arguments(of keys: ArraySlice<EntityKey>) -> StatementArguments {
        StatementArguments(keys.flatMap { [$0.source, $0.type, $0.id] })
    }
}
