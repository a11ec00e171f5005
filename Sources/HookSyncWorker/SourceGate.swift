import Foundation
import HookSyncConfig
import HookSyncCore
import Synchronization

/// Decides, per source, whether a fetch may go out now: the source's token bucket (its rate limit),
/// its parallel limit, a provider-imposed pause after a 429, and its circuit breaker.
///
/// One gate per source per worker process. Every fetch passes through it two or three times, so its
/// state sits behind a lock rather than in an actor, and a fetch does not hop onto it and back (as in
/// `WorkerControl`; measured alone, this gate's change was within the noise:
/// docs/decisions.md#the-workers-hand-off-is-a-lock-not-an-actor). Nothing is awaited while the lock
/// is held. Circuit transitions are reported (for `hooksync status`) one after another in the order
/// they happened, and the call that caused one returns only after it is recorded.
///
/// ```swift
/// switch await gate.admit(now: clock.now) {
/// case .proceed(let wait, _): try await Task.sleep(for: wait); defer { gate.finished() } ...
/// case .deferred(let until, let reason): try await queue.release(lease, runAt: until, reason: reason)
/// }
/// ```
final class SourceGate: Sendable {
    enum Admission: Equatable {
        /// Go after `wait` (a token reserved in the bucket); call `finished()` afterwards.
        case proceed(wait: Duration, isProbe: Bool)
        /// Not now: put the item back until then, without counting an attempt.
        case deferred(until: Date, reason: String)
    }

    /// What the gate wants recorded about the source (for `hooksync status`) after a transition.
    typealias HealthListener = @Sendable (SourceHealth) async -> Void

    private let state: Mutex<State>

    static let maxCooldown: Duration = .seconds(600)

    /// `maxTokenWait`: the longest a claimed item waits in the worker for a token; beyond it the item
    /// goes back to the queue.
    init(source: String, limits: SourceLimits, maxTokenWait: Duration = .seconds(2), onHealthChange: @escaping HealthListener = { _ in }) {
        state = Mutex(State(source: source, limits: limits, maxTokenWait: maxTokenWait, onHealthChange: onHealthChange))
    }

    /// The earliest time a deferred item should come back.
    var nextOpportunity: Date? { state.withLock { [$0.pausedUntil, $0.retryAt].compactMap { $0 }.max() } }

    /// Asks to send one fetch. A `.proceed` holds one of the source's parallel slots until `finished()`.
    func admit(now: Date) async -> Admission {
        let (decision, report) = state.withLock { state in
            let decision = state.admit(now: now)
            return (decision, state.reportIfChanged(now: now))
        }
        await report?.value
        switch decision {
        case .deferred(let until, let reason):
            return .deferred(until: until, reason: reason)
        case .proceed(let wait, let isProbe, let mustWaitForSlot):
            if mustWaitForSlot { await waitForParallelSlot() }
            return .proceed(wait: wait, isProbe: isProbe)
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

    /// Releases the parallel slot taken by `admit`.
    func finished() {
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

    /// 429: wait as long as the provider says (or a second), and halve the rate for a while.
    func rateLimited(now: Date, retryAfter: Duration?) async -> Date {
        var until = now
        await record(now: now) { until = $0.rateLimited(now: now, retryAfter: retryAfter) }
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
        let maxTokenWait: Duration
        let onHealthChange: HealthListener

        // Token bucket. `tokens` may go negative: each admitted fetch reserves the next token in line.
        var tokens: Double
        var refilledAt: Date?
        /// Lowered after a 429, recovered a little with each success, never above the configured rate.
        var ratePerSecond: Double

        var inFlight = 0
        var parallelWaiters: [CheckedContinuation<Void, Never>] = []

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

        init(source: String, limits: SourceLimits, maxTokenWait: Duration, onHealthChange: @escaping HealthListener) {
            self.source = source
            self.onHealthChange = onHealthChange
            self.limits = limits
            self.maxTokenWait = maxTokenWait
            self.tokens = Double(limits.burst)
            self.ratePerSecond = limits.rate.perSecond
            self.cooldown = limits.circuitCooldown
        }

        enum Decision {
            case proceed(wait: Duration, isProbe: Bool, mustWaitForSlot: Bool)
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
            guard let wait = reserveToken(now: now) else {
                return .deferred(until: now.addingTimeInterval(tokenDelay(now: now)), reason: "\(source) rate limit \(limits.rate)")
            }
            let isProbe = circuit == .open
            if isProbe {
                circuit = .halfOpen
                needsReport = true
            }
            let hasSlot = inFlight < limits.maxParallel
            if hasSlot { inFlight += 1 }
            return .proceed(wait: wait, isProbe: isProbe, mustWaitForSlot: !hasSlot)
        }

        mutating func succeeded() {
            consecutiveFailures = 0
            ratePerSecond = min(limits.rate.perSecond, ratePerSecond * 1.1)
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
            ratePerSecond = max(limits.rate.perSecond / 16, ratePerSecond / 2)
            tokens = min(tokens, 0)
            refilledAt = until
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

        // MARK: Token bucket

        private mutating func refill(now: Date) {
            guard let refilledAt else {
                self.refilledAt = now
                return
            }
            let elapsed = now.timeIntervalSince(refilledAt)
            guard elapsed > 0 else { return }
            tokens = min(Double(limits.burst), tokens + elapsed * ratePerSecond)
            self.refilledAt = now
        }

        /// Takes the next token if it will be there within `maxTokenWait`; returns how long until it is.
        private mutating func reserveToken(now: Date) -> Duration? {
            refill(now: now)
            let delay = tokenDelay(now: now)
            guard delay <= maxTokenWait.timeInterval else { return nil }
            tokens -= 1
            return .milliseconds(Int64((delay * 1000).rounded(.up)))
        }

        func tokenDelay(now: Date) -> TimeInterval {
            tokens >= 1 ? 0 : (1 - tokens) / ratePerSecond
        }
    }
}
