import Foundation
import HookSyncCore
import HookSyncSQLite
import HookSyncTestSupport
import Synchronization
import Testing

/// The mirror's no-regression rule, on a real SQLite file.
@Suite struct MirrorStoreTests {
    let folder: URL
    let mirror: MirrorStore
    let key = EntityKey(source: "economic", type: "customer", id: "33")

    init() throws {
        folder = try makeTemporaryFolder("mirror")
        mirror = try MirrorStore.open(path: folder.appending(path: "mirror.sqlite").path)
    }

    func live(_ body: String, modified seconds: Double?) -> SyncRecord {
        SyncRecord(key: key, change: .live(json: Data(body.utf8), remoteModifiedAt: seconds.map(Date.init(timeIntervalSince1970:))), syncedAt: Date())
    }

    func stored() async throws -> String? {
        try await mirror.row(key)?.data.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func processesOpeningANewMirrorAtOnceAllGetAMigratedFile() throws {
        // Two workers and a reconcile starting together each migrate the mirror. Threads rather than
        // tasks, so that the openers truly run at once (the cooperative pool has a thread per core),
        // each with its own connection, as separate processes have.
        let failures = Mutex<[String]>([])
        for round in 0..<10 {
            let path = folder.appending(path: "fresh-\(round).sqlite").path
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                do { try MirrorStore.open(path: path).close() } catch { failures.withLock { $0.append("\(error)") } }
            }
        }
        #expect(failures.withLock { $0 } == [])
    }

    @Test func anOlderCopyNeverReplacesANewerOne() async throws {
        try await mirror.write([live(#"{"v":2}"#, modified: 200)])
        try await mirror.write([live(#"{"v":1}"#, modified: 100)])
        #expect(try await stored() == #"{"v":2}"#)
        try await mirror.write([live(#"{"v":3}"#, modified: 300)])
        #expect(try await stored() == #"{"v":3}"#)
        #expect(try await mirror.row(key)?.remoteModifiedAt == Date(timeIntervalSince1970: 300))
    }

    @Test func writingTheSameVersionAgainIsHarmless() async throws {
        try await mirror.write([live(#"{"v":2}"#, modified: 200)])
        try await mirror.write([live(#"{"v":2}"#, modified: 200)])
        #expect(try await mirror.rows(source: nil, type: nil).count == 1)
        #expect(try await stored() == #"{"v":2}"#)
    }

    @Test func aStaleCopyCannotResurrectADeletedEntityButANewerOneCan() async throws {
        try await mirror.write([live(#"{"v":2}"#, modified: 200)])
        let gone = Date()
        try await mirror.write([SyncRecord(key: key, change: .deleted, syncedAt: gone)])
        // Fetched before the 404 was, written after it: stale.
        try await mirror.write([SyncRecord(key: key, change: .live(json: Data(#"{"v":2}"#.utf8), remoteModifiedAt: Date(timeIntervalSince1970: 200)),
                                           observedAt: gone.addingTimeInterval(-1), syncedAt: Date())])
        #expect(try await mirror.row(key)?.deleted == true)
        try await mirror.write([live(#"{"v":4}"#, modified: 400)])
        #expect(try await mirror.row(key)?.deleted == false)
        #expect(try await stored() == #"{"v":4}"#)
    }

    /// Precoro and e-conomic stamp whole seconds, so two versions of an entity can share a time. A
    /// listing page received after the stored copy was fetched lists the later of the two: it must
    /// replace the copy, or the mirror keeps the older version until the entity changes in a later
    /// second, which may be never.
    @Test func aListedCopyAsOldAsTheStoredOneButReceivedAfterItReplacesIt() async throws {
        try await mirror.write([live(#"{"v":1}"#, modified: 100)])
        let applied = try await mirror.applyListing(
            [ListedEntity(key: key, json: Data(#"{"v":2}"#.utf8), remoteModifiedAt: Date(timeIntervalSince1970: 100))],
            pass: 1, syncedAt: Date().addingTimeInterval(1))
        #expect(try await stored() == #"{"v":2}"#)
        #expect(applied.changed == 1)
    }

    @Test func concurrentWritersShareTransactionsAndAllLand() async throws {
        try await withThrowingTaskGroup { group in
            for index in 0..<500 {
                group.addTask {
                    let record = SyncRecord(
                        key: EntityKey(source: "s", type: "t", id: String(index)),
                        change: .live(json: Data(#"{"i":\#(index)}"#.utf8), remoteModifiedAt: nil), syncedAt: Date())
                    try await mirror.write([record])
                }
            }
            try await group.waitForAll()
        }
        #expect(try await mirror.rows(source: "s", type: "t").count == 500)
    }

    /// A listing page is written a hundred rows a statement, the last statement padded with repeats:
    /// a page of 250 rows (three statements, the last half padding) must land exactly as row-by-row
    /// writes would, with its counts right.
    @Test func aListingPageOfManyRowsIsWrittenAsEachRowAloneWouldBe() async throws {
        func key(_ n: Int) -> EntityKey { EntityKey(source: "economic", type: "customer", id: String(n)) }
        func listed(_ n: Int, version: Int, modified: Double?) -> ListedEntity {
            ListedEntity(key: key(n), json: Data(#"{"n":\#(n),"v":\#(version)}"#.utf8), remoteModifiedAt: modified.map(Date.init(timeIntervalSince1970:)))
        }
        // Stored before the pass: 0..<50 at t=100, 50..<60 deleted at t=100 (a tombstone keeps the time).
        try await mirror.write((0..<60).map { n in
            SyncRecord(key: key(n), change: .live(json: Data(#"{"n":\#(n),"v":0}"#.utf8), remoteModifiedAt: Date(timeIntervalSince1970: 100)), syncedAt: Date())
        })
        try await mirror.write((50..<60).map { SyncRecord(key: key($0), change: .deleted, syncedAt: Date()) })

        // The page: 0..<25 older than stored, 25..<50 newer, 50..<55 as old as their tombstone, 55..<60
        // newer than it, 60..<250 new, one of them with no time; and 7 listed twice, the last copy winning.
        var page = (0..<250).map { n in
            switch n {
            case 0..<25: listed(n, version: 1, modified: 50)
            case 25..<50: listed(n, version: 1, modified: 150)
            case 50..<55: listed(n, version: 1, modified: 100)
            case 55..<60: listed(n, version: 1, modified: 150)
            case 200: listed(n, version: 1, modified: nil)
            default: listed(n, version: 1, modified: 150)
            }
        }
        page.append(listed(30, version: 2, modified: 160))
        // Received before the tombstones were observed: as old as they are, it cannot bring those entities back.
        let received = Date(timeIntervalSince1970: 1_000)
        let applied = try await mirror.applyListing(page, pass: 7, observedAt: received, syncedAt: Date())
        #expect(applied.firstListed == 250)
        #expect(applied.changed == 250 - 25 - 5)

        let rows = Dictionary(uniqueKeysWithValues: try await mirror.rows(source: "economic", type: "customer").map { (Int($0.key.id)!, $0) })
        #expect(rows.count == 250)
        func version(_ n: Int) -> String? { rows[n]?.data.map { String(decoding: $0, as: UTF8.self) } }
        #expect((0..<25).allSatisfy { version($0) == #"{"n":\#($0),"v":0}"# })
        #expect(version(30) == #"{"n":30,"v":2}"#)
        #expect(rows[30]?.remoteModifiedAt == Date(timeIntervalSince1970: 160))
        #expect((25..<50).filter { $0 != 30 }.allSatisfy { version($0) == #"{"n":\#($0),"v":1}"# })
        #expect((50..<55).allSatisfy { rows[$0]?.deleted == true })
        #expect((55..<250).allSatisfy { rows[$0]?.deleted == false && version($0) == #"{"n":\#($0),"v":1}"# })
        #expect(rows[200]?.remoteModifiedAt == nil)

        // The same page again in the same pass: nothing is listed for the first time, nothing changes
        // (the row without a time is of unknown age, so it is written again).
        let again = try await mirror.applyListing(page, pass: 7, observedAt: received, syncedAt: Date())
        #expect(again.firstListed == 0)
        #expect(again.changed == 1)

        // Every listed row, the unchanged ones included, counts as seen by the pass: a full pass's
        // tombstoning leaves all 250 alone and deletes only what it never listed.
        try await mirror.write([SyncRecord(key: key(999), change: .live(json: Data("{}".utf8), remoteModifiedAt: nil), syncedAt: Date(timeIntervalSince1970: 1))])
        let deleted = try await mirror.tombstoneUnlisted(source: "economic", type: "customer", pass: 7, passStartedAt: Date(timeIntervalSince1970: 2), syncedAt: Date())
        #expect(deleted == 1)
    }

    @Test func pagesWrittenTogetherApplyInTheirOrderAndCountEachPageApart() async throws {
        func listed(_ id: String, _ body: String, modified: Double) -> ListedEntity {
            ListedEntity(key: EntityKey(source: "economic", type: "customer", id: id), json: Data(body.utf8), remoteModifiedAt: Date(timeIntervalSince1970: modified))
        }
        // "b" changed while the pass paged, so the second page lists it again, newer; an empty page
        // (every row already seen) counts nothing.
        let applied = try await mirror.applyListing(pages: [
            ObservedListingPage(rows: [listed("a", "a1", modified: 10), listed("b", "b1", modified: 11)], observedAt: Date(timeIntervalSince1970: 20)),
            ObservedListingPage(rows: [], observedAt: Date(timeIntervalSince1970: 21)),
            ObservedListingPage(rows: [listed("b", "b2", modified: 12), listed("c", "c1", modified: 12)], observedAt: Date(timeIntervalSince1970: 22)),
        ], pass: 3, syncedAt: Date())
        #expect(applied == [ListingApplied(firstListed: 2, changed: 2), ListingApplied(firstListed: 0, changed: 0), ListingApplied(firstListed: 1, changed: 2)])
        let rows = try await mirror.rows(source: "economic", type: "customer").map { "\($0.key.id)=\(String(decoding: $0.data!, as: UTF8.self))" }
        #expect(rows == ["a=a1", "b=b2", "c=c1"])
    }

    @Test func aBackfillChunkThatMeetsStoredRowsWritesThemOnlyIfNewer() async throws {
        func id(_ n: Int) -> EntityKey { EntityKey(source: "economic", type: "customer", id: String(format: "%04d", n)) }
        // Stored before: 150..<155 at t=100 (the listing brings older copies), 155..<160 at t=100 and
        // deleted (the listing brings newer ones), 160 at t=100 and already listed by this pass.
        try await mirror.write((150..<161).map { n in
            SyncRecord(key: id(n), change: .live(json: Data(#""old""#.utf8), remoteModifiedAt: Date(timeIntervalSince1970: 100)), syncedAt: Date())
        })
        try await mirror.write((155..<160).map { SyncRecord(key: id($0), change: .deleted, syncedAt: Date()) })
        _ = try await mirror.applyListing([ListedEntity(key: id(160), json: Data(#""old""#.utf8), remoteModifiedAt: Date(timeIntervalSince1970: 100))],
                                          pass: 9, syncedAt: Date())
        // A page of 300: its first chunk finds nothing stored, so the second is inserted where absent,
        // and the stored rows in it are compared, not overwritten blindly.
        let page = (0..<300).map { n in
            ListedEntity(key: id(n), json: Data(#""new""#.utf8), remoteModifiedAt: Date(timeIntervalSince1970: n < 155 ? 50 : 200))
        }
        let applied = try await mirror.applyListing(page, pass: 9, syncedAt: Date())
        #expect(applied == ListingApplied(firstListed: 299, changed: 295))
        let rows = Dictionary(uniqueKeysWithValues: try await mirror.rows(source: "economic", type: "customer").map { (Int($0.key.id)!, $0) })
        #expect(rows.count == 300)
        func data(_ n: Int) -> String? { rows[n]?.data.map { String(decoding: $0, as: UTF8.self) } }
        #expect((150..<155).allSatisfy { data($0) == #""old""# })
        #expect((155..<161).allSatisfy { data($0) == #""new""# && rows[$0]?.deleted == false })
        #expect(((0..<150).map { $0 } + (161..<300).map { $0 }).allSatisfy { data($0) == #""new""# })
        // Every row counts as listed by the pass: a full pass's tombstoning would delete none of them.
        let deleted = try await mirror.tombstoneUnlisted(source: "economic", type: "customer", pass: 9, passStartedAt: Date(timeIntervalSince1970: 2), syncedAt: Date())
        #expect(deleted == 0)
    }

    @Test func aFullPassTombstonesOnlyRowsThatWereThereWhenItBeganAndForgetsWhereThatWasOnceDone() async throws {
        func put(_ id: String, type: String = "customer") async throws {
            // Synced long ago, never listed: a row the pass would tombstone if it looked at it.
            try await mirror.write([SyncRecord(key: EntityKey(source: "economic", type: type, id: id), change: .live(json: Data("{}".utf8), remoteModifiedAt: nil),
                                               syncedAt: Date(timeIntervalSince1970: 1))])
        }
        func tombstone(pass: Int64) async throws -> Int {
            try await mirror.tombstoneUnlisted(source: "economic", type: "customer", pass: pass, passStartedAt: Date(timeIntervalSince1970: 2), syncedAt: Date())
        }
        try await put("before")
        try await mirror.beginFullPass(source: "economic", type: "customer", pass: 4, passStartedAt: Date(timeIntervalSince1970: 2))
        try await put("during")
        // A resumed pass notes again; its first note stands.
        try await mirror.beginFullPass(source: "economic", type: "customer", pass: 4, passStartedAt: Date(timeIntervalSince1970: 2))
        try await put("resumed")
        #expect(try await tombstone(pass: 4) == 1)
        #expect(try await mirror.row(EntityKey(source: "economic", type: "customer", id: "before"))?.deleted == true)
        // The note is gone with the scan: a pass with none (one begun before the note existed) scans all.
        #expect(try await tombstone(pass: 4) == 2)

        // A pass into a (source, type) the mirror did not hold (it held others) leaves alone what was
        // written after it began; a pass over one it held tombstones what was there before.
        try await put("1", type: "product")
        try await mirror.beginFullPass(source: "economic", type: "supplier", pass: 5, passStartedAt: Date(timeIntervalSince1970: 2))
        try await put("s", type: "supplier")
        #expect(try await mirror.tombstoneUnlisted(source: "economic", type: "supplier", pass: 5, passStartedAt: Date(timeIntervalSince1970: 2), syncedAt: Date()) == 0)
        try await mirror.beginFullPass(source: "economic", type: "product", pass: 6, passStartedAt: Date(timeIntervalSince1970: 2))
        try await put("2", type: "product")
        #expect(try await mirror.tombstoneUnlisted(source: "economic", type: "product", pass: 6, passStartedAt: Date(timeIntervalSince1970: 2), syncedAt: Date()) == 1)
    }
}
