import Foundation
import HookSyncCore
import HookSyncSQLite
import HookSyncTestSupport
import Testing

/// The budget's meaning (`BudgetStore`), as any backend must give it: sliding windows exact at their
/// boundaries, a quota spent at once, every window at once, parallel slots that come back when their
/// holder is gone, and a pause no later pause shortens.
@Suite("Budget")
struct BudgetStoreTests {
    let db: TemporaryDatabase
    var store: SQLiteQueueStore { db.store }
    var clock: ManualWallClock { db.clock }

    init() throws {
        db = try TemporaryDatabase()
    }

    func budget(_ windows: String, parallel: Int = 100) -> SourceBudget {
        SourceBudget(windows: SourceBudget.parseWindows(windows), maxParallel: parallel)
    }

    /// Asks once and gives the slot straight back, so only the windows decide.
    func request(_ budget: SourceBudget, source: String = "precoro") async throws -> BudgetAdmission {
        let admission = try await store.acquire(source: source, budget: budget, holder: "test", slotExpiry: .seconds(60), clock: clock)
        if case .granted(let slot) = admission { try await store.release([slot]) }
        return admission
    }

    func isGranted(_ admission: BudgetAdmission) -> Bool {
        if case .granted = admission { true } else { false }
    }

    @Test func grantsExactlyNInAWindowAndTheNextWhenTheOldestIsAWindowOld() async throws {
        let window = budget("3/1s")
        let start = clock.now
        for _ in 0..<3 {
            #expect(isGranted(try await request(window)))
            clock.advance(by: .milliseconds(100))
        }
        clock.advance(by: .milliseconds(50))
        #expect(try await request(window) == .refused(.window(BudgetWindow(requests: 3, per: .seconds(1)), freesAt: start.addingTimeInterval(1))))
        clock.advance(by: .milliseconds(649))
        #expect(!isGranted(try await request(window)), "999 ms after the first of three, the window still holds three")
        clock.advance(by: .milliseconds(1))
        #expect(isGranted(try await request(window)), "at exactly 1 s the first has left the window")
        guard case .refused(.window(_, let freesAt)) = try await request(window) else { Issue.record("granted a fourth within 1 s"); return }
        #expect(abs(freesAt.timeIntervalSince(start) - 1.1) < 0.0005, "the second of the three leaves the window next")
    }

    @Test func aQuotaIsSpentAtOnceAndStopsWhenSpent() async throws {
        let quota = budget("100/1d")
        let start = clock.now
        for n in 0..<100 {
            #expect(isGranted(try await request(quota)), "request \(n) of the day's 100, with no time passing")
        }
        #expect(try await request(quota) == .refused(.window(BudgetWindow(requests: 100, per: .seconds(86_400)), freesAt: start.addingTimeInterval(86_400))))
        clock.advance(by: .seconds(86_399))
        #expect(!isGranted(try await request(quota)))
        clock.advance(by: .seconds(1))
        #expect(isGranted(try await request(quota)))
    }

    @Test func everyWindowMustAllowARequest() async throws {
        let precoro = budget("1/1s, 3/1h")
        let start = clock.now
        #expect(isGranted(try await request(precoro)))
        clock.advance(by: .milliseconds(500))
        #expect(try await request(precoro) == .refused(.window(BudgetWindow(requests: 1, per: .seconds(1)), freesAt: start.addingTimeInterval(1))))
        clock.advance(by: .milliseconds(500))
        #expect(isGranted(try await request(precoro)))
        clock.advance(by: .seconds(1))
        #expect(isGranted(try await request(precoro)))
        clock.advance(by: .seconds(1))
        #expect(try await request(precoro) == .refused(.window(BudgetWindow(requests: 3, per: .seconds(3_600)), freesAt: start.addingTimeInterval(3_600))),
                "the second is free, the hour is spent: the hour decides")
    }

    @Test func budgetsOfTwoSourcesAreSeparate() async throws {
        let one = budget("1/1s")
        #expect(isGranted(try await request(one, source: "precoro")))
        #expect(isGranted(try await request(one, source: "kladana")))
        #expect(!isGranted(try await request(one, source: "precoro")))
    }

    @Test func aCrashedHoldersSlotsComeBackWhenTheyExpire() async throws {
        let kladana = budget("45/3s", parallel: 2)
        let start = clock.now
        for holder in ["killed-1", "killed-2"] {
            #expect(isGranted(try await store.acquire(source: "kladana", budget: kladana, holder: holder, slotExpiry: .seconds(40), clock: clock)))
        }
        clock.advance(by: .seconds(39))
        #expect(try await store.acquire(source: "kladana", budget: kladana, holder: "live", slotExpiry: .seconds(40), clock: clock)
                == .refused(.parallel(inFlight: 2, expiresAt: start.addingTimeInterval(40))))
        clock.advance(by: .seconds(1))
        #expect(isGranted(try await store.acquire(source: "kladana", budget: kladana, holder: "live", slotExpiry: .seconds(40), clock: clock)))
    }

    @Test func aReleasedSlotIsFreeAtOnceAndMayRideAlongWithTheNextAcquisition() async throws {
        let one = budget("45/3s", parallel: 1)
        guard case .granted(let first) = try await store.acquire(source: "kladana", budget: one, holder: "w", slotExpiry: .seconds(40), clock: clock)
        else { Issue.record("not granted"); return }
        #expect(!isGranted(try await store.acquire(source: "kladana", budget: one, holder: "w", slotExpiry: .seconds(40), clock: clock)))
        #expect(isGranted(try await store.acquire(
            source: "kladana", budget: one, holder: "w", slotExpiry: .seconds(40), releasing: [first], clock: clock)))
    }

    @Test func aRefusalRecordsNothing() async throws {
        let one = budget("2/1s", parallel: 1)
        guard case .granted(let held) = try await store.acquire(source: "kladana", budget: one, holder: "w", slotExpiry: .seconds(40), clock: clock)
        else { Issue.record("not granted"); return }
        #expect(!isGranted(try await store.acquire(source: "kladana", budget: one, holder: "w", slotExpiry: .seconds(40), clock: clock)))
        try await store.release([held])
        #expect(isGranted(try await request(one, source: "kladana")), "the refused request took none of the window's two")
    }

    @Test func aPauseStopsEveryGrantUntilItsEndAndALaterPauseNeverShortensIt() async throws {
        let generous = budget("1000/1s")
        let start = clock.now
        try await store.pause(source: "precoro", until: start.addingTimeInterval(5), reason: "Daily limiter")
        try await store.pause(source: "precoro", until: start.addingTimeInterval(2), reason: "Second limiter")
        #expect(try await request(generous) == .refused(.paused(until: start.addingTimeInterval(5), reason: "Daily limiter")))
        #expect(isGranted(try await request(generous, source: "kladana")), "another source is not paused")
        clock.advance(by: .seconds(5))
        #expect(isGranted(try await request(generous)))
    }

    @Test func statusShowsEachWindowsUseInFlightAndThePause() async throws {
        let precoro = budget("1/1s, 1500/1h, 3000/1d", parallel: 1)
        let start = clock.now
        #expect(isGranted(try await store.acquire(source: "precoro", budget: precoro, holder: "w", slotExpiry: .seconds(40), clock: clock)))
        clock.advance(by: .seconds(2))
        try await store.pause(source: "precoro", until: start.addingTimeInterval(60), reason: "Daily limiter")
        let status = try #require(try await store.budgetStatus(now: clock.now).first)
        #expect(status.source == "precoro")
        #expect(status.windows.map(\.window.description) == ["1/1s", "1500/1h", "3000/1d"])
        #expect(status.windows.map(\.used) == [0, 1, 1])
        #expect(status.windows.map(\.remaining) == [1, 1499, 2999])
        #expect(status.windows[1].refillsAt == start.addingTimeInterval(3_600))
        #expect(status.windows[0].refillsAt == nil)
        #expect(status.inFlight == 1)
        #expect(status.maxParallel == 1)
        #expect(status.pausedUntil == start.addingTimeInterval(60))
        #expect(status.pauseReason == "Daily limiter")
        let queueStatus = try await store.status()
        #expect(queueStatus.sources.first { $0.name == "precoro" }?.budget == status)
    }
}
