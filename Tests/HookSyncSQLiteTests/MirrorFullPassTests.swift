import Foundation
import GRDB
@testable import HookSyncSQLite
import HookSyncTestSupport
import Testing

/// The mirror's notes of where it stood as each full pass began (`mirror_full_pass`) stay one per
/// (source, type), whatever becomes of the passes.
@Suite struct MirrorFullPassTests {
    @Test func aFailedFullPassesNoteGoesWhenTheNextFullPassOfItsTypeBegins() async throws {
        let mirror = try MirrorStore.open(path: makeTemporaryFolder("mirror-full-pass").appending(path: "mirror.sqlite").path)
        func notes() throws -> [String] {
            try mirror.pool.read { db in try String.fetchAll(db, sql: "SELECT entity_type || ':' || pass FROM mirror_full_pass ORDER BY pass") }
        }
        try await mirror.beginFullPass(source: "economic", type: "customer", pass: 1, passStartedAt: Date(timeIntervalSince1970: 2))
        try await mirror.beginFullPass(source: "economic", type: "product", pass: 2, passStartedAt: Date(timeIntervalSince1970: 2))
        // Pass 1 failed, so it never tombstoned; pass 3 of the same type begins.
        try await mirror.beginFullPass(source: "economic", type: "customer", pass: 3, passStartedAt: Date(timeIntervalSince1970: 5))
        #expect(try notes() == ["product:2", "customer:3"])
        _ = try await mirror.tombstoneUnlisted(source: "economic", type: "product", pass: 2, passStartedAt: Date(timeIntervalSince1970: 2), syncedAt: Date())
        #expect(try notes() == ["customer:3"])
    }
}
