import Foundation
import HookSyncCore
import HookSyncTestSupport
import Synchronization
import Testing

@Suite("Action merging")
struct ActionHistoryTests {
    @Test func repeatedActionsCollapseToTheirLatestPlace() {
        var history = ActionHistory(.create)
        history.record(.update)
        history.record(.update)
        #expect(history.actions == [.create, .update])
        history.record(.create)
        #expect(history.actions == [.update, .create])
    }

    @Test func deleteIsKeptAndSoIsWhatFollowsIt() {
        var history = ActionHistory(.update)
        history.record(.delete)
        #expect(history.last == .delete && history.includesDelete)
        history.record(.create)
        #expect(history.last == .create && history.includesDelete)
    }

    @Test func storageFormRoundTrips() throws {
        let history = ActionHistory(merging: [ActionHistory(.renumber), ActionHistory(.delete)])
        #expect(history.description == "renumber,delete")
        #expect(ActionHistory(storageForm: "renumber,delete") == history)
        #expect(ActionHistory(storageForm: "") == nil)
        #expect(ActionHistory(storageForm: "update,explode") == nil)
        let data = try JSONEncoder().encode(history)
        #expect(try JSONDecoder().decode(ActionHistory.self, from: data) == history)
    }
}

@Suite("Durations as people write them")
struct HumanDurationTests {
    @Test(arguments: [
        ("50ms", Duration.milliseconds(50)), ("2s", .seconds(2)), ("10m", .seconds(600)),
        ("2h", .seconds(7_200)), ("7d", .seconds(604_800)),
    ])
    func parses(_ text: String, _ expected: Duration) {
        #expect(HumanDuration.parse(text) == expected)
        #expect(HumanDuration.format(expected) == text)
    }

    @Test(arguments: ["", "s", "10", "1.5s", "-2s", "2 hours", "3w", "ms10"])
    func rejects(_ text: String) {
        #expect(HumanDuration.parse(text) == nil)
    }

    @Test func formatsUnevenDurationsExactly() {
        #expect(HumanDuration.format(.seconds(90)) == "90s")
        #expect(HumanDuration.format(.milliseconds(1_500)) == "1500ms")
    }
}

@Suite("Retry strategy")
struct RetryStrategyTests {
    let strategy = RetryStrategy.exponentialJitter(maxAttempts: 5, base: .seconds(1), maxBackoff: .seconds(30))

    @Test func ceilingDoublesThenCaps() {
        #expect((1...7).map { strategy.backoffCeiling(attempt: $0) }
            == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30), .seconds(30)])
        #expect(strategy.backoffCeiling(attempt: 500) == .seconds(30))
    }

    @Test func jitterStaysWithinTheCeilingAndSpreads() {
        var generator = SystemRandomNumberGenerator()
        let delays = (0..<200).map { _ in strategy.backoff(attempt: 4, using: &generator) }
        #expect(delays.allSatisfy { $0 >= .zero && $0 <= .seconds(8) })
        #expect(Set(delays).count > 50, "full jitter spreads retries")
    }

    @Test func stopsAfterMaxAttempts() {
        #expect(strategy.shouldRetry(attempts: 4))
        #expect(!strategy.shouldRetry(attempts: 5))
    }
}

@Suite("Group commit")
struct GroupCommitTests {
    /// Counts commits and what each held, and the callers that have got as far as submitting.
    final class Log: Sendable {
        let batches = Mutex<[[Int]]>([])
        let submitting = Mutex(0)
    }

    @Test func aLingeringCommitWaitsForCompanyAndTakesEveryoneWhoCame() async throws {
        let log = Log()
        // Long enough that the second caller arrives within it even on a loaded machine.
        let commits = GroupCommit<Int>(linger: .seconds(2)) { batch in log.batches.withLock { $0.append(batch) } }
        let started = ContinuousClock.now
        try await withThrowingTaskGroup { group in
            group.addTask { try await commits.submit([1]) }
            try await Task.sleep(for: .milliseconds(30))
            group.addTask { try await commits.submit([2, 3]) }
            try await group.waitForAll()
        }
        #expect(log.batches.withLock { $0.map { $0.sorted() } } == [[1, 2, 3]])
        #expect(ContinuousClock.now - started >= .seconds(2), "the first caller waited out the linger")
    }

    /// No wall-clock bound (a loaded machine stalls anything for seconds); a commit that waited for
    /// company that never comes would hang here until the time limit.
    @Test(.timeLimit(.minutes(1))) func withoutALingerALoneCallerIsCommittedWithoutCompany() async throws {
        let log = Log()
        let commits = GroupCommit<Int> { batch in log.batches.withLock { $0.append(batch) } }
        try await commits.submit([1])
        try await commits.submit([2])
        #expect(log.batches.withLock { $0 } == [[1], [2]])
    }

    /// A caller's wait starts when it submits, not when the committer's thread is free to take it:
    /// the commit that waits for a lock is told how long its longest-waiting caller already waited.
    @Test func aBlockingCommitIsToldWhenItsLongestWaitingCallerSubmitted() async throws {
        let firstMayFinish = DispatchSemaphore(value: 0)
        let firstStarted = Mutex(false)
        let told = Mutex<[[Int]: ContinuousClock.Instant]>([:])
        let commits = GroupCommit<Int>(blockingCommit: { batch, oldestSubmission in
            told.withLock { $0[batch.sorted()] = oldestSubmission }
            if batch == [0] {
                firstStarted.withLock { $0 = true }
                firstMayFinish.wait()
            }
        })
        let early = ContinuousClock.now, later = early.advanced(by: .milliseconds(5))
        let log = Log()
        try await withThrowingTaskGroup { group in
            group.addTask { try await commits.submit([0]) }
            try await waitUntil("the first commit holds the committer's thread") { firstStarted.withLock { $0 } }
            // Submitted while the first commit holds the committer's thread.
            group.addTask { log.submitting.withLock { $0 += 1 }; try await commits.submit([1], submittedAt: early) }
            group.addTask { log.submitting.withLock { $0 += 1 }; try await commits.submit([2], submittedAt: later) }
            try await waitUntil("both callers are submitting") { log.submitting.withLock { $0 } == 2 }
            firstMayFinish.signal()
            try await group.waitForAll()
        }
        // Together or apart, the batch that holds 1 was told of 1's submission.
        #expect(told.withLock { $0.first { $0.key.contains(1) }?.value } == early)
    }

    /// The blocking form (ingest's, over SQLite's synchronous writes) batches the same way: callers
    /// who come while a commit blocks share the next one.
    @Test func aBlockingCommitTakesEveryoneWhoCameWhileItBlocked() async throws {
        let log = Log()
        let firstMayFinish = DispatchSemaphore(value: 0)
        let firstStarted = Mutex(false)
        let commits = GroupCommit<Int>(blockingCommit: { batch, _ in
            if batch == [0] {
                firstStarted.withLock { $0 = true }
                firstMayFinish.wait()
            }
            log.batches.withLock { $0.append(batch) }
        })
        try await withThrowingTaskGroup { group in
            group.addTask { try await commits.submit([0]) }
            try await waitUntil("the first commit holds the committer's thread") { firstStarted.withLock { $0 } }
            for element in 1...5 { group.addTask { log.submitting.withLock { $0 += 1 }; try await commits.submit([element]) } }
            // The committer's thread is blocked, so nothing can be taken from the actor's queue until
            // it is let go: all five are queued once each has got as far as calling `submit` (the
            // slow part on a loaded machine is a task getting to run at all, not the call's first step).
            try await waitUntil("the five callers are submitting") { log.submitting.withLock { $0 } == 5 }
            firstMayFinish.signal()
            try await group.waitForAll()
        }
        #expect(log.batches.withLock { $0.map { $0.sorted() } } == [[0], [1, 2, 3, 4, 5]])
    }
}

