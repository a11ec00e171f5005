import Foundation
import HookSyncConfig
import HookSyncCore
import Synchronization

/// Decides, per source, whether a request may go out now: the source's budget (its windows, its
/// parallel limit and a provider's pause, shared with every process through the `BudgetStore`), a
/// parallel limit within this process, and its circuit breaker.
///
/// One gate per source per worker process (and per reconcile pass). A request costs one write
/// transaction on the budget store in the common case: the slot a finished request gives back
/// rides along with the next acquisition, or is flushed a moment later when none comes. The gate's
/// own state sits behind a lock rather than in an actor, and a fetch does not hop onto it and back
/// (as in `WorkerControl`; docs/decisions.md#the-workers-hand-off-is-a-lock-not-an-actor). Nothing is
/// awaited while the lock is held. Circuit transitions are reported (for `hooksync status`) one after
/// another in the order they happened, and the call that caused one returns only after it is recorded.
///
/// ```swift
/// switch await gate.admit(now: clock.now) {
/// case .proceed: defer { gate.finished() } ...
/// case .deferred(let until, let reason): try await queue.release(lease, runAt: until, reason: reason)
/// }
/// ```
final class SourceGate: Sendable {
    enum Admission: Equatable {
        /// Go now (a budget slot is held); call `finished()` afterwards.
        case proceed(isProbe: Bool)
        /// Not now: put the item back until then, without counting an attempt.
        case deferred(until: Date, reason: String)
    }

    /// What the gate wants recorded about the source (for `hooksync status`) after a transition.
    typealias HealthListener = @Sendable (SourceHealth) async -> Void

    private let state: Mutex<State>
    private let budget: any BudgetStore
    private let holder: String
    private let clock: any WallClock

    static let maxCooldown: Duration = .seconds(600)
    /// How long a finished request's slot waits for the next acquisition to release it.
    static let releaseLinger: Duration = .milliseconds(20)
    /// How often a request waiting for another process's parallel slot asks again.
    static let parallelPoll: Duration = .milliseconds(50)

    /// `maxBudgetWait`: the longest a claimed item waits in the worker for its budget; beyond it the
    /// item goes back to the queue. `holder` names this process in the slots it holds.
    init(
        source: String, limits: SourceLimits, budget: any BudgetStore, holder: String, clock: any WallClock = SystemWallClock(),
        maxBudgetWait: Duration = .seconds(2), onHealthChange: @escaping HealthListener = { _ in }
    ) {
        self.budget = budget
        self.holder = holder
        self.clock = clock
        state = Mutex(State(source: source, limits: limits, maxBudgetWait: maxBudgetWait, onHealthChange: onHealthChange))
    }

    /// The earliest time a deferred item should come back.
    var nextOpportunity: Date? { state.withLock { [$0.pausedUntil, $0.retryAt].compactMap { $0 }.max() } }

    /// Asks to send one request. A `.proceed` holds one of the source's parallel slots until `finished()`.
    func admit(now: Date) async -> Admission {
        let (decision, report) = state.withLock { state in
            let decision = state.admit(now: now)
            return (decision, state.reportIfChanged(now: now))
        }
        await report?.value
        switch decision {
        case .deferred(let until, let reason):
            return .deferred(until: until, reason: reason)
        case .proceed(let isProbe, let mustWaitForSlot):
            if mustWaitForSlot { await waitForParallelSlot() }
            if let refused = await acquireBudget() {
                releaseLocalSlot()
                if isProbe { state.withLock { $0.probeAbandoned() } }
                return refused
            }
            return .proceed(isProbe: isProbe)
        }
    }

    /// Asks the budget store until it grants, or returns why not when that takes longer than
    /// `maxBudgetWait`.
    private func acquireBudget() async -> Admission? {
        let (source, budget, expiry, maxWait) = state.withLock {
            ($0.source, $0.limits.budget, $0.limits.connectTimeout + $0.limits.readTimeout + .seconds(5), $0.maxBudgetWait)
        }
        // Waiting runs on real time whatever `clock` says (a manual clock in tests never moves by itself).
        let deadline = ContinuousClock.now + maxWait
        while true {
            let releasing = state.withLock { state in
                defer { state.finishedSlots.removeAll() }
                return state.finishedSlots
            }
            let refusal: BudgetRefusal
            do {
                switch try await self.budget.acquire(
                    source: source, budget: budget, holder: holder, slotExpiry: expiry, releasing: releasing, clock: clock
                ) {
                case .granted(let slot):
                    state.withLock { $0.heldSlots.append(slot) }
                    return nil
                case .refused(let why):
                    refusal = why
                }
            } catch {
                state.withLock { $0.finishedSlots.append(contentsOf: releasing) }
                return .deferred(until: clock.now.addingTimeInterval(1), reason: "\(source) budget unavailable: \(error)")
            }
            let now = clock.now
            if case .paused(let until, _) = refusal {
                state.withLock { $0.pausedUntil = max($0.pausedUntil ?? until, until) }
                return .deferred(until: until, reason: "\(source) \(refusal)")
            }
            var wait = Duration.milliseconds(Int64(max(0, refusal.until.timeIntervalSince(now)) * 1000) + 1)
            if case .parallel = refusal { wait = min(wait, Self.parallelPoll) }
            guard ContinuousClock.now + wait <= deadline else {
                // Another process's request usually ends long before its slot would expire.
                let until = if case .parallel = refusal { min(refusal.until, now.addingTimeInterval(1)) } else { refusal.until }
                return .deferred(until: until, reason: "\(source) \(refusal)")
            }
            do {
                try await Task.sleep(for: wait)
            } catch {
                return .deferred(until: now, reason: "\(source) stopping")
            }
        }
    }

    private func waitForParallelSlot() async {
        await withCheckedContinuation { (slot: CheckedContinuation<Void, Never>) in
            // A slot freed since `admit` decided is taken at once; otherwise the next `finished()` hands one over.
            let isFree = state.withLock { state in
                guard state.inFlight < state.limits.maxParallel else {
                    state.parallelWaiters.append(slot)
                    return false
                }
                state.inFlight += 1
                return true
            }
            if isFree { slot.resume() }
        }
    }

    /// Releases the slot taken by `admit`: in this process at once, in the budget store with the next
    /// acquisition or after `releaseLinger`.
    func finished() {
        let mustFlush = state.withLock { state -> Bool in
            guard let slot = state.heldSlots.popLast() else { return false }
            state.finishedSlots.append(slot)
            guard !state.flushScheduled else { return false }
            state.flushScheduled = true
            return true
        }
        releaseLocalSlot()
        if mustFlush {
            Task { [self] in
                try? await Task.sleep(for: Self.releaseLinger)
                let slots = self.state.withLock { state in
                    defer { state.finishedSlots.removeAll(); state.flushScheduled = false }
                    return state.finishedSlots
                }
                // A slot not released here expires by itself.
                try? await self.budget.release(slots)
            }
        }
    }

    /// Releases in the store every finished request's slot not released yet: when the process stops,
    /// so other processes need not wait for the slots to expire.
    func releaseFinishedSlots() async {
        let slots = state.withLock { state in
            defer { state.finishedSlots.removeAll() }
            return state.finishedSlots
        }
        try? await budget.release(slots)
    }

    private func releaseLocalSlot() {
        // A waiting fetch takes the slot over, so the count stays.
        let handedOver = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.parallelWaiters.isEmpty {
                state.inFlight -= 1
                return nil
            }
            return state.parallelWaiters.removeFirst()
        }
        handedOver?.resume()
    }

    func succeeded(now: Date) async {
        await record(now: now) { $0.succeeded() }
    }

    /// A 5xx, timeout or connection failure: enough of them in a row open the circuit.
    func failed(now: Date, reason: String) async {
        await record(now: now) { $0.failed(now: now, reason: reason) }
    }

    /// 401/403: the credentials are refused. Every fetch would fail the same way, so pause them all.
    func unauthorized(now: Date, reason: String) async {
        await record(now: now) { $0.unauthorized(now: now, reason: reason) }
    }

    /// 429: wait as long as the provider says (or a second), in every process on the database.
    func rateLimited(now: Date, retryAfter: Duration?, reason: String = "429") async -> Date {
        var until = now
        var source = ""
        await record(now: now) {
            until = $0.rateLimited(now: now, retryAfter: retryAfter)
            source = $0.source
        }
        // Not recorded, the pause still holds this process; the others find out by their own 429.
        try? await budget.pause(source: source, until: until, reason: reason)
        return until
    }

    /// Changes the state under the lock, then waits until a circuit transition it caused is recorded.
    private func record(now: Date, _ change: (inout State) -> Void) async {
        let report = state.withLock { state in
            change(&state)
            return state.reportIfChanged(now: now)
        }
        await report?.value
    }

    private struct State: ~Copyable {
        let source: String
        let limits: SourceLimits
        let maxBudgetWait: Duration
        let onHealthChange: HealthListener

        var inFlight = 0
        var parallelWaiters: [CheckedContinuation<Void, Never>] = []
        /// Budget slots of requests in flight, and of finished ones not yet released in the store.
        var heldSlots: [BudgetSlot] = []
        var finishedSlots: [BudgetSlot] = []
        var flushScheduled = false

        var pausedUntil: Date?
        var circuit = CircuitState.closed
        var circuitReason: String?
        var retryAt: Date?
        var cooldown: Duration
        var consecutiveFailures = 0
        /// Set by a transition; the next `reportIfChanged` records the state.
        var needsReport = false
        var hasReported = false
        /// The last report started, so the next one waits for it and they are recorded in order.
        var lastReport: Task<Void, Never>?

        init(source: String, limits: SourceLimits, maxBudgetWait: Duration, onHealthChange: @escaping HealthListener) {
            self.source = source
            self.onHealthChange = onHealthChange
            self.limits = limits
            self.maxBudgetWait = maxBudgetWait
            self.cooldown = limits.circuitCooldown
        }

        enum Decision {
            case proceed(isProbe: Bool, mustWaitForSlot: Bool)
            case deferred(until: Date, reason: String)
        }

        mutating func admit(now: Date) -> Decision {
            if let pausedUntil, now < pausedUntil {
                return .deferred(until: pausedUntil, reason: "\(source) asked to wait (429)")
            }
            switch circuit {
            case .closed:
                break
            case .open:
                if let retryAt, now < retryAt {
                    return .deferred(until: retryAt, reason: "\(source) circuit open: \(circuitReason ?? "")")
                }
            case .halfOpen:
                // One probe decides; the others come back shortly after it has.
                return .deferred(until: now.addingTimeInterval(min(cooldown.timeInterval, 5)), reason: "\(source) circuit half-open: waiting for the probe")
            }
            let isProbe = circuit == .open
            if isProbe {
                circuit = .halfOpen
                needsReport = true
            }
            let hasSlot = inFlight < limits.maxParallel
            if hasSlot { inFlight += 1 }
            return .proceed(isProbe: isProbe, mustWaitForSlot: !hasSlot)
        }

        /// The probe let through did not get its budget: the next admission probes instead.
        mutating func probeAbandoned() {
            if circuit == .halfOpen { circuit = .open }
        }

        mutating func succeeded() {
            consecutiveFailures = 0
            // The first success of this process also clears what an earlier worker may have recorded
            // (an open circuit from before a restart), so status never shows a stale pause.
            if circuit != .closed || !hasReported {
                circuit = .closed
                circuitReason = nil
                retryAt = nil
                cooldown = limits.circuitCooldown
                needsReport = true
            }
        }

        mutating func failed(now: Date, reason: String) {
            consecutiveFailures += 1
            if circuit == .halfOpen {
                probeFailed(now: now, reason: reason)
            } else if circuit == .closed, consecutiveFailures >= limits.circuitFailures {
                open(now: now, reason: "\(consecutiveFailures) failures in a row, last: \(reason)")
            }
        }

        mutating func unauthorized(now: Date, reason: String) {
            if circuit == .halfOpen { probeFailed(now: now, reason: reason) } else { open(now: now, reason: reason) }
        }

        mutating func rateLimited(now: Date, retryAfter: Duration?) -> Date {
            let wait = retryAfter ?? .seconds(1)
            let until = now.addingTimeInterval(max(wait.timeInterval, 0.05))
            pausedUntil = max(pausedUntil ?? until, until)
            if circuit == .halfOpen {
                // The probe reached the provider, which is alive; let the next admit probe again after the wait.
                circuit = .open
                retryAt = until
                needsReport = true
            }
            return pausedUntil ?? until
        }

        private mutating func open(now: Date, reason: String) {
            circuit = .open
            circuitReason = reason
            retryAt = now.addingTimeInterval(cooldown.timeInterval)
            needsReport = true
        }

        private mutating func probeFailed(now: Date, reason: String) {
            cooldown = min(cooldown * 2, SourceGate.maxCooldown)
            open(now: now, reason: reason)
        }

        /// Starts recording the state if a transition asked for it, after every report started
        /// before it; the caller awaits the returned task once the lock is released.
        mutating func reportIfChanged(now: Date) -> Task<Void, Never>? {
            guard needsReport else { return nil }
            needsReport = false
            hasReported = true
            let health = SourceHealth(source: source, circuit: circuit, reason: circuitReason, changedAt: now, retryAt: circuit == .closed ? nil : retryAt)
            let report = Task { [previous = lastReport, onHealthChange] in
                await previous?.value
                await onHealthChange(health)
            }
            lastReport = report
            return report
        }
    }
}
