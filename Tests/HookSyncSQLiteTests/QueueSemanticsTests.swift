import Foundation
import HookSyncCore
import HookSyncSQLite
import HookSyncTestSupport
import Testing

@Suite("Queue semantics on SQLite")
struct QueueSemanticsTests {
    let db: TemporaryDatabase
    var store: SQLiteQueueStore { db.store }

    init() throws {
        db = try TemporaryDatabase()
    }

    func claim(_ limit: Int = 10, lease: Duration = .seconds(30), owner: String = "w1") async throws -> [WorkItem] {
        try await store.claim(limit: limit, leaseDuration: lease, owner: owner)
    }

    @Test func enqueuedEventBecomesOnePendingItem() async throws {
        let receipt = try await store.enqueue([db.envelope("1", .create)])
        #expect(receipt == EnqueueReceipt(accepted: 1, duplicates: 0))
        let items = try await claim()
        #expect(items.count == 1)
        #expect(items[0].key == EntityKey(source: "precoro", type: "invoice", id: "1"))
        #expect(items[0].actions.actions == [.create])
        #expect(items[0].state == .inFlight)
        #expect(items[0].lease?.owner == "w1")
    }

    @Test func exactDuplicatesAreDroppedAndCounted() async throws {
        let first = try await store.enqueue([db.envelope("1", delivery: "d-1"), db.envelope("1", delivery: "d-1")])
        #expect(first.accepted == 1 && first.duplicates == 1)
        let again = try await store.enqueue([db.envelope("1", delivery: "d-1")])
        #expect(again.accepted == 0 && again.duplicates == 1)
        // The same delivery id from another source is another delivery.
        let otherSource = try await store.enqueue([db.envelope("1", source: "softledger", delivery: "d-1")])
        #expect(otherSource.accepted == 1)
        // Envelopes without a delivery id are never treated as duplicates.
        let anonymous = try await store.enqueue([db.envelope("1"), db.envelope("1")])
        #expect(anonymous.accepted == 2)

        let status = try await store.status()
        #expect(status.duplicates == 2)
        #expect(status.accepted == 4)
        #expect(status.received == 6)
        let precoro = try #require(status.sources.first { $0.name == "precoro" })
        #expect(precoro.duplicates == 2 && precoro.accepted == 3)
        // A duplicate changes no work: one item per entity and source.
        #expect(status.work.queued == 4)
        #expect(try await claim().map(\.key.source).sorted() == ["precoro", "softledger"])
    }

    @Test func coalescesPendingEventsForSameEntity() async throws {
        _ = try await store.enqueue([db.envelope("1", .create)])
        _ = try await store.enqueue([db.envelope("1", .update), db.envelope("1", .update), db.envelope("2")])
        #expect(try await store.status().work.queued == 4, "appended, not yet folded")
        let items = try await claim()
        #expect(items.count == 2)
        let first = try #require(items.first { $0.key.id == "1" })
        #expect(first.eventCount == 3)
        #expect(first.actions.actions == [.create, .update])
    }

    @Test func deleteIsNeverLostAndLaterUpdateIsKept() async throws {
        _ = try await store.enqueue([db.envelope("1", .update), db.envelope("1", .delete)])
        var item = try #require(try await claim().first)
        #expect(item.actions.last == .delete)
        #expect(item.actions.includesDelete)
        try await store.complete([try #require(item.lease)])

        _ = try await store.enqueue([db.envelope("2", .delete), db.envelope("2", .create), db.envelope("2", .update)])
        item = try #require(try await claim().first)
        #expect(item.actions.actions == [.delete, .create, .update])
        #expect(item.actions.includesDelete)
    }

    @Test func extrasMergeWithLaterEventsWinning() async throws {
        _ = try await store.enqueue([
            db.envelope("33", .renumber, type: "customer", extras: ["old_number": "31", "note": "a"]),
            db.envelope("33", .renumber, type: "customer", extras: ["old_number": "32"]),
        ])
        let item = try #require(try await claim().first)
        #expect(item.extras == ["old_number": "32", "note": "a"])
    }

    @Test func eventForInFlightEntityOpensNewPendingItem() async throws {
        _ = try await store.enqueue([db.envelope("1")])
        let held = try #require(try await claim().first)
        _ = try await store.enqueue([db.envelope("1", .delete)])

        // The new item waits while the entity is held: never two items of one entity at once.
        #expect(try await claim(owner: "w2").isEmpty)
        var status = try await store.status()
        #expect(status.work.pending == 1 && status.work.inFlight == 1 && status.work.queued == 0)
        try await store.complete([try #require(held.lease)])
        let next = try #require(try await claim(owner: "w2").first)
        #expect(next.id != held.id)
        #expect(next.actions.actions == [.delete])
        status = try await store.status()
        #expect(status.work.done == 1 && status.work.inFlight == 1)
    }

    @Test func foldWorksOffABacklogInSlicesWithoutLosingOrder() async throws {
        let sliced = SQLiteQueueStore(pool: try SQLiteSchema.openCurrent(path: db.path), clock: db.clock, foldBatchLimit: 3)
        _ = try await sliced.enqueue([
            db.envelope("1", .create), db.envelope("2"), db.envelope("1", .update),
            db.envelope("1", .delete), db.envelope("3"), db.envelope("1", .create),
        ])
        // The first claim folds three events (entities 1 and 2), the second the other three.
        let first = try await sliced.claim(limit: 10, leaseDuration: .seconds(30), owner: "w")
        #expect(first.map(\.key.id).sorted() == ["1", "2"])
        #expect(first.first { $0.key.id == "1" }?.actions.actions == [.create, .update])
        #expect(try await sliced.status().work.queued == 3)
        let second = try await sliced.claim(limit: 10, leaseDuration: .seconds(30), owner: "w")
        #expect(second.map(\.key.id) == ["3"], "entity 1 is held, so its new item waits")
        try await sliced.complete(first.compactMap(\.lease))
        let third = try #require(try await sliced.claim(limit: 10, leaseDuration: .seconds(30), owner: "w").first)
        #expect(third.key.id == "1" && third.actions.actions == [.delete, .create] && third.eventCount == 2)
        #expect(try await sliced.events(forWorkItem: third.id).map(\.envelope.action) == [.delete, .create])
        try sliced.close()
    }

    /// One fold over more entities than one of its statements takes (100): new entities, entities with
    /// a pending item to merge into, and entities whose item is in flight (they get a new one).
    @Test func aFoldOverManyEntitiesLinksEveryEventToTheRightItem() async throws {
        _ = try await store.enqueue((0..<150).map { db.envelope(String($0), .create) })
        let held = try await claim(50)  // entities 0–49 in flight; 50–149 pending
        #expect(held.count == 50)
        // Two updates for each old entity, one create for each of 250 new ones, in one fold.
        _ = try await store.enqueue((0..<150).flatMap { [db.envelope(String($0), .update), db.envelope(String($0), .update)] }
            + (150..<400).map { db.envelope(String($0), .create) })
        let items = try await claim(1_000)
        #expect(items.count == 350, "one item per entity not in flight: 100 merged, 250 new")
        #expect(Set(items.map(\.key.id)) == Set((50..<400).map(String.init)))
        for item in items {
            let events = try await store.events(forWorkItem: item.id)
            #expect(events.allSatisfy { $0.envelope.key == item.key }, "events of another entity linked to \(item.key)")
            let expected: [EventAction] = Int(item.key.id)! < 150 ? [.create, .update, .update] : [.create]
            #expect(events.map(\.envelope.action) == expected && item.eventCount == expected.count, "\(item.key)")
        }
        try await store.complete(held.compactMap(\.lease))
        let followUps = try await claim(1_000)
        #expect(followUps.count == 50 && followUps.allSatisfy { $0.eventCount == 2 && $0.actions.actions == [.update] },
                "the in-flight entities' updates wait in new items")
    }

    @Test func claimTakesOldestReadyFirstUpToLimit() async throws {
        for id in 1...5 {
            _ = try await store.enqueue([db.envelope("\(id)")])
            db.clock.advance(by: .milliseconds(10))
        }
        let first = try await claim(2)
        #expect(first.map(\.key.id) == ["1", "2"])
        let rest = try await claim(10)
        #expect(rest.map(\.key.id) == ["3", "4", "5"])
        #expect(try await claim(10).isEmpty)
    }

    @Test func failCountsAttemptAndWaitsUntilRetryTime() async throws {
        _ = try await store.enqueue([db.envelope("1")])
        let item = try #require(try await claim().first)
        let retryAt = db.clock.now.addingTimeInterval(60)
        #expect(try await store.fail(try #require(item.lease), retryAt: retryAt, error: "HTTP 503"))
        #expect(try await claim().isEmpty)
        db.clock.advance(by: .seconds(61))
        let retried = try #require(try await claim().first)
        #expect(retried.id == item.id)
        #expect(retried.attempts == 1)
        #expect(retried.lastError == "HTTP 503")
    }

    @Test func releaseReturnsWorkWithoutCountingAnAttempt() async throws {
        _ = try await store.enqueue([db.envelope("1")])
        let item = try #require(try await claim().first)
        #expect(try await store.release(try #require(item.lease), runAt: db.clock.now, reason: "rate limited"))
        let again = try #require(try await claim().first)
        #expect(again.attempts == 0)
    }

    @Test func expiredLeaseReturnsItemAndStaleHolderIsRefused() async throws {
        _ = try await store.enqueue([db.envelope("1")])
        let stale = try #require(try await claim(lease: .seconds(30), owner: "crashed").first)
        db.clock.advance(by: .seconds(29))
        #expect(try await claim(owner: "w2").isEmpty)
        db.clock.advance(by: .seconds(2))
        let rescued = try #require(try await claim(owner: "w2").first)
        #expect(rescued.id == stale.id)
        #expect(rescued.attempts == 1)
        #expect(rescued.lastError?.contains("lease expired") == true)

        // The first holder comes back: its lease is gone, whatever it tries.
        let staleLease = try #require(stale.lease)
        #expect(try await store.complete([staleLease]) == [staleLease])
        #expect(try await store.fail(staleLease, retryAt: db.clock.now, error: "x") == false)
        #expect(try await store.extend([staleLease], by: .seconds(30)).isEmpty)
        #expect(try await store.deadLetter(staleLease, reason: "x") == false)
        #expect(try await store.complete([try #require(rescued.lease)]).isEmpty)
    }

    @Test func extendedLeaseOutlivesItsFirstExpiry() async throws {
        _ = try await store.enqueue([db.envelope("1")])
        let item = try #require(try await claim(lease: .seconds(30)).first)
        db.clock.advance(by: .seconds(20))
        let renewed = try await store.extend([try #require(item.lease)], by: .seconds(30))
        #expect(renewed.count == 1)
        db.clock.advance(by: .seconds(20))
        #expect(try await claim(owner: "w2").isEmpty)
        #expect(try await store.complete(renewed).isEmpty)
    }

    @Test func expiredLeaseFoldsIntoTheEntitysPendingItem() async throws {
        _ = try await store.enqueue([db.envelope("1", .create, extras: ["a": "1"])])
        let held = try #require(try await claim(lease: .seconds(30)).first)
        _ = try await store.enqueue([db.envelope("1", .update, extras: ["b": "2"])])
        db.clock.advance(by: .seconds(31))
        let next = try #require(try await claim(owner: "w2").first)
        #expect(next.id != held.id)
        #expect(next.eventCount == 2)
        #expect(next.actions.actions == [.create, .update])
        #expect(next.extras == ["a": "1", "b": "2"])
        #expect(next.attempts == 1)
        let status = try await store.status()
        #expect(status.work.merged == 1 && status.work.inFlight == 1 && status.work.pending == 0)
        // Both deliveries are traceable from the surviving item.
        #expect(try await store.events(forWorkItem: next.id).count == 2)
    }

    @Test func failedItemFoldsIntoPendingSiblingKeepingBackoff() async throws {
        _ = try await store.enqueue([db.envelope("1")])
        let held = try #require(try await claim().first)
        _ = try await store.enqueue([db.envelope("1")])
        let retryAt = db.clock.now.addingTimeInterval(120)
        #expect(try await store.fail(try #require(held.lease), retryAt: retryAt, error: "HTTP 500"))
        db.clock.advance(by: .seconds(60))
        #expect(try await claim().isEmpty, "the sibling inherits the backoff of the failed fetch")
        db.clock.advance(by: .seconds(61))
        let next = try #require(try await claim().first)
        #expect(next.attempts == 1 && next.eventCount == 2 && next.lastError == "HTTP 500")
    }

    @Test func deadLetterCanBeRetriedAndCompleted() async throws {
        _ = try await store.enqueue([db.envelope("1"), db.envelope("2", source: "economic", delivery: "x")])
        for item in try await claim() {
            #expect(try await store.deadLetter(try #require(item.lease), reason: "HTTP 400: bad id"))
        }
        var dead = try await store.deadLetters(source: nil, limit: 10)
        #expect(dead.count == 2)
        #expect(dead.allSatisfy { $0.lastError == "HTTP 400: bad id" })
        #expect(try await store.deadLetters(source: "economic", limit: 10).count == 1)

        let precoroDead = try #require(dead.first { $0.key.source == "precoro" })
        #expect(try await store.retryDeadLetter(id: precoroDead.id))
        #expect(try await store.retryDeadLetter(id: precoroDead.id) == false, "no longer dead")
        let retried = try #require(try await claim().first)
        #expect(retried.key.id == "1" && retried.attempts == 0)
        #expect(try await store.complete([try #require(retried.lease)]).isEmpty)
        #expect(try await store.events(forWorkItem: retried.id).count == 1)

        dead = try await store.deadLetters(source: nil, limit: 10)
        #expect(dead.map(\.key.source) == ["economic"])
        #expect(try await store.dropDeadLetter(id: dead[0].id))
        #expect(try await store.deadLetters(source: nil, limit: 10).isEmpty)
        #expect(try await store.dropDeadLetter(id: dead[0].id) == false)
    }

    @Test func retryAllRevivesEveryDeadItemOfASource() async throws {
        _ = try await store.enqueue((1...3).map { db.envelope("\($0)") } + [db.envelope("9", source: "kladana")])
        for item in try await claim() { _ = try await store.deadLetter(try #require(item.lease), reason: "gone") }
        #expect(try await store.retryAllDeadLetters(source: "precoro") == 3)
        #expect(try await store.status().work.pending == 3)
        #expect(try await store.retryAllDeadLetters(source: nil) == 1)
        #expect(try await store.status().work.dead == 0)
    }

    @Test func eventsTraceWorkBackToTheirDeliveries() async throws {
        _ = try await store.enqueue([db.envelope("1", .create, delivery: "a"), db.envelope("2", delivery: "b")])
        _ = try await store.enqueue([db.envelope("1", .update, delivery: "c")])
        let item = try #require(try await claim().first { $0.key.id == "1" })
        let events = try await store.events(forWorkItem: item.id)
        #expect(events.map(\.envelope.deliveryID) == ["a", "c"])
        #expect(events[0].envelope.raw?.body == Data("{\"id\":\"1\"}".utf8))
        #expect(events[0].envelope.action == .create)
    }

    @Test func pruneForgetsOldEventsSoTheDedupWindowEnds() async throws {
        _ = try await store.enqueue([db.envelope("1", delivery: "d-1")])
        let item = try #require(try await claim().first)
        try await store.complete([try #require(item.lease)])
        db.clock.advance(by: .seconds(8 * 86_400))
        _ = try await store.enqueue([db.envelope("2", delivery: "d-2")])

        let report = try await store.prune(before: db.clock.now.addingTimeInterval(-7 * 86_400))
        #expect(report == PruneReport(events: 1, workItems: 1))
        #expect(try await store.enqueue([db.envelope("1", delivery: "d-1")]).accepted == 1)
        #expect(try await store.enqueue([db.envelope("2", delivery: "d-2")]).duplicates == 1)
        // Counters are cumulative: pruning the log does not rewrite history.
        #expect(try await store.status().accepted == 3)
    }

    @Test func quarantinedRequestsAreKeptUntilDropped() async throws {
        let raw = RawRequest(method: "POST", path: "/hooks/precoro", query: "x=1", headers: ["content-type": "application/json"], body: Data("{\"type\":42}".utf8))
        let id = try await store.quarantine(QuarantinedDelivery(source: "precoro", reason: "unknown type code 42", receivedAt: db.clock.now, raw: raw))
        _ = try await store.quarantine(QuarantinedDelivery(source: "kladana", reason: "no events", receivedAt: db.clock.now, raw: raw))
        #expect(try await store.quarantinedDeliveries(source: nil, limit: 10).count == 2)
        let kept = try #require(try await store.quarantinedDelivery(id: id))
        #expect(kept.delivery.raw == raw && kept.delivery.reason == "unknown type code 42")
        #expect(try await store.quarantinedDeliveries(source: "kladana", limit: 10).map(\.delivery.source) == ["kladana"])
        _ = try await store.prune(before: db.clock.now.addingTimeInterval(3_600))
        #expect(try await store.status().quarantined == 2, "pruning never drops quarantined requests")
        #expect(try await store.dropQuarantined(id: id))
        #expect(try await store.dropQuarantined(id: id) == false)
        #expect(try await store.status().quarantined == 1)
        try await store.checkWritable()
    }

    @Test func statusReportsQuarantineAndOldestPendingAge() async throws {
        _ = try await store.quarantine(QuarantinedDelivery(
            source: "precoro", reason: "unknown type code 42", receivedAt: db.clock.now,
            raw: RawRequest(method: "POST", path: "/hooks/precoro", body: Data("{\"type\":42}".utf8))))
        _ = try await store.enqueue([db.envelope("1")])
        db.clock.advance(by: .seconds(90))
        let status = try await store.status()
        #expect(status.quarantined == 1)
        #expect(status.oldestPendingAgeSeconds == 90)
        #expect(status.schemaVersion == SQLiteSchema.knownMigrations.last)
        #expect(status.sources.first?.lastDeliveryAt != nil)
    }
}
