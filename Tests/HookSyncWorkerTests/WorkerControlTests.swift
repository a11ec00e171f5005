import Foundation
import HookSyncCore
import HookSyncTestSupport
@testable import HookSyncWorker
import Testing

/// The hand-off between the claim loop and the fetch slots.
@Suite struct WorkerControlTests {
    func item(_ id: Int64) -> WorkItem {
        WorkItem(
            id: id, key: EntityKey(source: "s", type: "t", id: String(id)), state: .inFlight, actions: ActionHistory(.update), eventCount: 1, attempts: 0,
            extras: [:], firstEventAt: Date(), lastEventAt: Date(), runAt: Date(), lastError: nil,
            lease: Lease(itemID: id, token: id, owner: "me", expiresAt: Date().addingTimeInterval(60)))
    }

    @Test func claimsAheadOfTheSlotsButNoFurtherThanMaxHeld() async {
        let control = WorkerControl(concurrency: 2, maxHeld: 5)
        #expect(await control.claimRoom(waitingAtMost: .seconds(5)) == 5)
        control.add((1...5).map(item))
        // Five waiting for two slots: no room, so the claim loop waits (here, out its timeout).
        #expect(await control.claimRoom(waitingAtMost: .milliseconds(20)) == 0)
        #expect(await control.next()?.id == 1)
        #expect(await control.next()?.id == 2)
        #expect(await control.next()?.id == 3)
        // Three waiting, five held: still full.
        #expect(await control.claimRoom(waitingAtMost: .milliseconds(20)) == 0)
        #expect(await control.next()?.id == 4)
        control.finish(1)
        // One waiting (fewer than the slots) and four held: room for one more.
        #expect(await control.claimRoom(waitingAtMost: .milliseconds(20)) == 1)
    }

    @Test func anIdleSlotGetsTheNextClaimedItemAndAStopReleasesIt() async throws {
        let control = WorkerControl(concurrency: 2)
        let waiting = Task { await control.next() }
        try await waitUntil("the slot waits for an item") { control.idleSlotCount == 1 }
        control.add([item(9)])
        #expect(await waiting.value?.id == 9)

        let stopped = Task { await control.next() }
        try await waitUntil("the slot waits for an item") { control.idleSlotCount == 1 }
        control.stop()
        #expect(await stopped.value == nil)
        #expect(await control.next() == nil)
    }

    @Test func onlyItemsStillHeldAfterARenewalAreReportedLost() {
        let control = WorkerControl(concurrency: 4)
        control.add([item(1), item(2), item(3)])
        let asked = Array(control.held.values)
        // While the renewal ran, item 2 finished; the queue renewed item 1 only.
        control.finish(2)
        let lost = control.renewed([asked.first { $0.itemID == 1 }!], asked: asked)
        #expect(lost.map(\.itemID) == [3])
    }

    @Test func aLeaseWhoseOutcomeIsBeingRecordedIsNotReportedLost() {
        let control = WorkerControl(concurrency: 4)
        control.add([item(1), item(2)])
        let asked = Array(control.held.values)
        // Item 1's completion committed just before the renewal, which then found it gone; the
        // worker had not let go of it yet.
        control.settling(1)
        #expect(control.renewed([], asked: asked).map(\.itemID) == [2])
        #expect(control.held[1] != nil)
        control.finish(1)
        control.add([item(1)])
        #expect(control.renewed([], asked: Array(control.held.values)).map(\.itemID).sorted() == [1, 2])
    }
}
