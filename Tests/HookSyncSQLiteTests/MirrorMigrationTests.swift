import Foundation
import GRDB
import HookSyncCore
@testable import HookSyncSQLite
import HookSyncTestSupport
import Testing

/// A mirror written by an earlier binary keeps every row through the migrations it lacks.
@Suite struct MirrorMigrationTests {
    @Test func aMirrorFromBeforeTheRowidTableKeepsEveryRow() async throws {
        let path = try makeTemporaryFolder("mirror-migration").appending(path: "mirror.sqlite").path
        // The mirror as 0002 left it: clustered on its key, with rows live, deleted and listed.
        let old = try DatabaseQueue(path: path)
        var migrator = DatabaseMigrator()
        for migration in embeddedMirrorMigrations.prefix(while: { $0.identifier != "0003_rowid_table" }) {
            let sql = migration.sql
            migrator.registerMigration(migration.identifier) { db in try db.execute(sql: sql) }
        }
        try migrator.migrate(old)
        try await old.write { db in
            try db.execute(sql: """
                INSERT INTO mirror_entity (source, entity_type, entity_id, data, remote_modified_at, synced_at, deleted, listed_in_pass) VALUES
                    ('economic', 'customer', '7', '{"n":7}', 1000, 2000, 0, 3),
                    ('economic', 'customer', '8', NULL, 1500, 2500, 1, NULL),
                    ('kladana', 'product', 'a-1', '{"id":"a-1"}', NULL, 3000, 0, NULL)
                """)
        }
        try old.close()

        let mirror = try MirrorStore.open(path: path)
        defer { try? mirror.close() }
        let rows = try await mirror.rows(source: nil, type: nil)
        #expect(rows.map(\.key.id) == ["7", "8", "a-1"])
        #expect(rows[0].data == Data(#"{"n":7}"#.utf8) && rows[0].remoteModifiedAt == Date(millisecondsSince1970: 1000))
        #expect(rows[1].deleted && rows[1].data == nil && rows[1].remoteModifiedAt == Date(millisecondsSince1970: 1500))
        #expect(rows[2].remoteModifiedAt == nil && rows[2].syncedAt == Date(millisecondsSince1970: 3000))
        // A rowid table now (a WITHOUT ROWID table has no rowid to count).
        #expect(try await mirror.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(rowid) FROM mirror_entity") } == 3)

        // What was listed stays listed: a full pass 3 that lists nothing more tombstones only the
        // live row it never listed.
        #expect(try await mirror.tombstoneUnlisted(source: "economic", type: "customer", pass: 3, passStartedAt: Date(millisecondsSince1970: 9000), syncedAt: Date()) == 0)
        #expect(try await mirror.tombstoneUnlisted(source: "kladana", type: "product", pass: 3, passStartedAt: Date(millisecondsSince1970: 9000), syncedAt: Date()) == 1)

        // The key is still unique, and the upserts still find their conflict.
        try await mirror.write([SyncRecord(key: EntityKey(source: "economic", type: "customer", id: "7"),
                                           change: .live(json: Data(#"{"n":77}"#.utf8), remoteModifiedAt: Date(millisecondsSince1970: 4000)), syncedAt: Date())])
        #expect(try await mirror.rows(source: "economic", type: "customer").count == 2)
        #expect(try await mirror.row(EntityKey(source: "economic", type: "customer", id: "7"))?.data == Data(#"{"n":77}"#.utf8))
    }
}
