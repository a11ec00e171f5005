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
        try await mirror.write([SyncRecord(key: key, change: .deleted, syncedAt: Date())])
        try await mirror.write([live(#"{"v":2}"#, modified: 200)])
        #expect(try await mirror.row(key)?.deleted == true)
        try await mirror.write([live(#"{"v":4}"#, modified: 400)])
        #expect(try await mirror.row(key)?.deleted == false)
        #expect(try await stored() == #"{"v":4}"#)
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
}
