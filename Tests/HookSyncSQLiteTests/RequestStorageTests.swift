import Foundation
import GRDB
import HookSyncCore
import HookSyncSQLite
import HookSyncTestSupport
import Testing

/// A request is stored once however many events it carries, and goes when its events go.
@Suite("Requests in the event log")
struct RequestStorageTests {
    let db: TemporaryDatabase
    var store: SQLiteQueueStore { db.store }

    init() throws {
        db = try TemporaryDatabase()
    }

    func query<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        try DatabaseQueue(path: db.path).read(body)
    }

    /// One Kladana request of `count` events, about 125 bytes of body each, as one raw request.
    func kladanaRequest(events count: Int, deliveryPrefix: String = "req-1") -> [EventEnvelope] {
        let body = Data(String(repeating: #"{"meta":{"type":"customerorder","href":"https://api.kladana.com/api/remap/1.2/entity/x"},"action":"UPDATE"},"#, count: count).utf8)
        let raw = RawRequest(method: "POST", path: "/hooks/kladana", query: "requestId=\(deliveryPrefix)", headers: ["content-type": "application/json"], body: body)
        return (0..<count).map { index in
            EventEnvelope(key: EntityKey(source: "kladana", type: "customerorder", id: "o-\(index)"), action: .update,
                          deliveryID: "\(deliveryPrefix):\(index)", receivedAt: db.clock.now, raw: raw)
        }
    }

    @Test func aRequestOfTwoThousandEventsIsStoredOnceAsItsOwnBytes() async throws {
        let envelopes = kladanaRequest(events: 2_000)
        let bodySize = envelopes[0].raw!.body.count
        #expect(try await store.enqueue(envelopes).accepted == 2_000)

        let (requests, storedBodies, legacyCopies, fileBytes) = try query { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM request")!,
             try Int.fetchOne(db, sql: "SELECT sum(length(body)) FROM request")!,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM event_log WHERE raw_request IS NOT NULL")!,
             try Int.fetchOne(db, sql: "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")!)
        }
        #expect(requests == 1 && storedBodies == bodySize && legacyCopies == 0)
        // The request once, plus about a hundred bytes of columns and index per event.
        #expect(fileBytes < bodySize + 2_000 * 200 + 200_000, "\(fileBytes) bytes stored for a \(bodySize)-byte request")

        let item = try #require(try await store.claim(limit: 1, leaseDuration: .seconds(30), owner: "w").first)
        let events = try await store.events(forWorkItem: item.id)
        #expect(events.count == 1 && events[0].envelope.raw == envelopes[0].raw, "each event still shows its whole request")
    }

    @Test func consecutiveRequestsInOneBatchAreEachStoredOnce() async throws {
        let first = kladanaRequest(events: 3, deliveryPrefix: "a"), second = kladanaRequest(events: 2, deliveryPrefix: "b")
        _ = try await store.enqueue(first + second + [db.envelope("solo")])
        #expect(try query { try Int.fetchOne($0, sql: "SELECT count(*) FROM request") } == 2 + 1)
        #expect(try query { try Int.fetchOne($0, sql: "SELECT count(DISTINCT request_id) FROM event_log") } == 3)
    }

    @Test func aRequestWhoseEventsWereAllDuplicatesIsNotKept() async throws {
        _ = try await store.enqueue(kladanaRequest(events: 5))
        let retry = try await store.enqueue(kladanaRequest(events: 5))
        #expect(retry.duplicates == 5)
        #expect(try query { try Int.fetchOne($0, sql: "SELECT count(*) FROM request") } == 1)
    }

    @Test func pruningTheEventsPrunesTheirRequests() async throws {
        _ = try await store.enqueue(kladanaRequest(events: 4, deliveryPrefix: "old"))
        _ = try await store.claim(limit: 10, leaseDuration: .seconds(30), owner: "w")  // folds: only folded events are pruned
        db.clock.advance(by: .seconds(3_600))
        _ = try await store.enqueue(kladanaRequest(events: 4, deliveryPrefix: "new"))
        _ = try await store.prune(before: db.clock.now.addingTimeInterval(-60))
        #expect(try query { try String.fetchAll($0, sql: "SELECT query FROM request") } == ["requestId=new"])

        db.clock.advance(by: .seconds(3_600))
        _ = try await store.claim(limit: 10, leaseDuration: .seconds(30), owner: "w")
        _ = try await store.prune(before: db.clock.now)
        #expect(try query { try Int.fetchOne($0, sql: "SELECT count(*) FROM request") } == 0, "no event left, no request left")
    }

    @Test func depthCountsUnfoldedEventsAndPendingItemsWithoutCountingDuplicates() async throws {
        db.clock.advance(by: .seconds(10))
        _ = try await store.enqueue([db.envelope("1", delivery: "d1"), db.envelope("2"), db.envelope("2")])
        db.clock.advance(by: .seconds(5))
        var depth = try await store.depth()
        #expect(depth.waiting == 3 && depth.oldestWaitingAgeSeconds == 5)
        _ = try await store.enqueue([db.envelope("1", delivery: "d1")])
        #expect(try await store.depth().waiting == 3, "a duplicate is no work")

        _ = try await store.foldQueuedEvents()
        depth = try await store.depth()
        #expect(depth.waiting == 2, "two entities pending")
        #expect(depth.oldestWaitingAgeSeconds == 5)
        let status = try await store.status()
        #expect(depth.waiting == status.work.queued + status.work.pending)

        _ = try await store.claim(limit: 10, leaseDuration: .seconds(30), owner: "w")
        #expect(try await store.depth() == QueueDepth(waiting: 0, oldestWaitingAgeSeconds: nil))
    }
}
