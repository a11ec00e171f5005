import Foundation
import HookSyncCore
import HookSyncSQLite
import HookSyncTestSupport
import Testing

/// The mirror's rule for copies with the same modification time (Precoro and e-conomic stamp whole
/// seconds, Kladana milliseconds): the copy observed later wins, in every write path and whichever
/// copy is written first. Every case writes a first copy, then the two copies under test in both
/// orders, each onto its own entity.
@Suite struct MirrorEqualTimesTests {
    let folder: URL
    let mirror: MirrorStore
    /// The modification time every copy shares.
    static let modified = Date(timeIntervalSince1970: 100)
    static let first = Date(timeIntervalSince1970: 1_000)
    static let earlier = Date(timeIntervalSince1970: 2_000)
    static let middle = Date(timeIntervalSince1970: 2_500)
    static let later = Date(timeIntervalSince1970: 3_000)

    init() throws {
        folder = try makeTemporaryFolder("mirror-ties")
        mirror = try MirrorStore.open(path: folder.appending(path: "mirror.sqlite").path)
    }

    /// How a copy reaches the mirror.
    enum Path: String, CaseIterable, CustomTestStringConvertible {
        /// The worker's fetch (`write`).
        case fetch
        /// A listing page (`applyListing`), of an incremental or a full pass: one write for both.
        case listing
        /// The worker's 404 (`write` of `.deleted`).
        case gone
        /// A full pass's closing tombstones (`tombstoneUnlisted`), observed when the pass began.
        case unlisted

        var testDescription: String { rawValue }
        var isTombstone: Bool { self == .gone || self == .unlisted }
    }

    /// Writes one copy of `key` observed at `observed`: live with `body`, or a tombstone.
    func write(_ path: Path, _ key: EntityKey, body: String, observed: Date) async throws {
        // Written now, whenever it was observed: the write order must not matter.
        let now = Date()
        switch path {
        case .fetch:
            try await mirror.write([SyncRecord(key: key, change: .live(json: Data(body.utf8), remoteModifiedAt: Self.modified), observedAt: observed, syncedAt: now)])
        case .listing:
            _ = try await mirror.applyListing([ListedEntity(key: key, json: Data(body.utf8), remoteModifiedAt: Self.modified)],
                                              pass: 1, observedAt: observed, syncedAt: now)
        case .gone:
            try await mirror.write([SyncRecord(key: key, change: .deleted, observedAt: observed, syncedAt: now)])
        case .unlisted:
            try await mirror.beginFullPass(source: key.source, type: key.type, pass: 2, passStartedAt: observed)
            _ = try await mirror.tombstoneUnlisted(source: key.source, type: key.type, pass: 2, passStartedAt: observed, syncedAt: now)
        }
    }

    /// The stored copy: its body, or `deleted`.
    func stored(_ key: EntityKey) async throws -> String? {
        guard let row = try await mirror.row(key) else { return nil }
        return row.deleted ? "deleted" : row.data.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The copy observed earlier and the one observed later, written in both orders onto a first
    /// copy (observed before both): the later one stands either way.
    @Test(arguments: Path.allCases, Path.allCases)
    func ofTwoCopiesWithOneTimeTheOneObservedLaterStandsInEitherOrder(_ earlierPath: Path, _ laterPath: Path) async throws {
        for (index, laterFirst) in [false, true].enumerated() {
            // Each case on an entity type of its own, so a full pass's tombstoning sees only it.
            let key = EntityKey(source: "economic", type: "\(earlierPath)-\(laterPath)-\(index)", id: "33")
            try await write(.fetch, key, body: #""v0""#, observed: Self.first)
            let writes = [(earlierPath, #""v1""#, Self.earlier), (laterPath, #""v2""#, Self.later)]
            for (path, body, observed) in laterFirst ? writes.reversed() : writes {
                try await write(path, key, body: body, observed: observed)
            }
            let expected = laterPath.isTombstone ? "deleted" : #""v2""#
            #expect(try await stored(key) == expected, "\(earlierPath) observed before \(laterPath), \(laterFirst ? "later" : "earlier") one written first")
            if !laterPath.isTombstone {
                #expect(try await mirror.row(key)?.observedAt == Self.later)
            }
        }
    }

    /// A tombstone between two live copies with the entity's last time: the copy observed before the
    /// deletion cannot bring it back, the one observed after it does.
    @Test(arguments: [Path.fetch, .listing], [Path.gone, .unlisted])
    func aTombstoneStandsAgainstWhatWasObservedBeforeItAndGivesWayToWhatWasObservedAfter(_ live: Path, _ tombstone: Path) async throws {
        for (index, afterTombstone) in [false, true].enumerated() {
            let key = EntityKey(source: "economic", type: "\(live)-\(tombstone)-\(index)", id: "33")
            try await write(.fetch, key, body: #""v0""#, observed: Self.first)
            try await write(tombstone, key, body: "", observed: Self.middle)
            try await write(live, key, body: #""v1""#, observed: afterTombstone ? Self.later : Self.earlier)
            #expect(try await stored(key) == (afterTombstone ? #""v1""# : "deleted"))
        }
    }

    /// A re-listing of what the mirror holds writes nothing and counts nothing as changed, but a page
    /// received later with other data for the same time is written and counted; one received before
    /// the stored copy was observed is not.
    @Test func aListingCountsAsChangedOnlyTheRowsItWritesWhenTimesAreEqual() async throws {
        func listed(_ id: String, _ body: String) -> ListedEntity {
            ListedEntity(key: EntityKey(source: "economic", type: "customer", id: id), json: Data(body.utf8), remoteModifiedAt: Self.modified)
        }
        let page = (0..<150).map { listed(String($0), #"{"n":\#($0)}"#) }
        #expect(try await mirror.applyListing(page, pass: 1, observedAt: Self.earlier, syncedAt: Date()) == ListingApplied(firstListed: 150, changed: 150))
        #expect(try await mirror.applyListing(page, pass: 2, observedAt: Self.later, syncedAt: Date()) == ListingApplied(firstListed: 150, changed: 0))
        #expect(try await mirror.row(EntityKey(source: "economic", type: "customer", id: "7"))?.observedAt == Self.later)

        var changed = page
        for n in [3, 120] { changed[n] = listed(String(n), #"{"n":\#(n),"edited":true}"#) }
        #expect(try await mirror.applyListing(changed, pass: 3, observedAt: Self.middle, syncedAt: Date()) == ListingApplied(firstListed: 150, changed: 0))
        let afterwards = Date(timeIntervalSince1970: 4_000)
        #expect(try await mirror.applyListing(changed, pass: 4, observedAt: afterwards, syncedAt: Date()) == ListingApplied(firstListed: 150, changed: 2))
        let row = try #require(try await mirror.row(EntityKey(source: "economic", type: "customer", id: "120")))
        #expect(row.data == Data(#"{"n":120,"edited":true}"#.utf8) && row.observedAt == afterwards)
    }
}
