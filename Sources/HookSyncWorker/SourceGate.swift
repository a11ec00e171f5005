import Foundation
import HookSyncConfig
import HookSyncCore

/// Decides, per source, whether a fetch may go out now: the source's token bucket (its rate limit),
/// its parallel limit, a provider-imposed pause after a 429, and its circuit breaker.
///
/// One gate per source per worker process. It is an actor: every fetch of the source passes through
/// it, and its state is small.
///
/// ```swift
/// switch await gate.admit(now: clock.now) {
/// case .proceed(let wait): try await Task.sleep(for: wait); defer { await gate.finished() } ...
/// case .deferred(let until, let reason): try await queue.release(lease, runAt: until, reason: reason)
/// }
/// ```
actor SourceGate {
    enum Admission: Equatable {
        /// Go after `wait` (a token reserved in the bucket); call `finished()` afterwards.
        case proceed(wait: Duration, isProbe: Bool)
        /// Not now: put the item back until then, without counting an attempt.
        case deferred(until: Date, reason: String)
    }

    /// What the gate wants recorded about the source (for `hooksync status`) after a transition.
    typealias HealthListener = @Sendable (SourceHealth) async -> Void

    let source: String
    let limits: SourceLimits
    /// The longest a claimed item waits in the worker for a token; beyond it the item goes back to the queue.
    let maxTokenWait: Duration
    private let onHealthChange: HealthListener

    // Token bucket. `tokens` may go negative: each admitted fetch reserves the next token in line.
    private var tokens: Double
    private var refilledAt: Date?
    /// Lowered after a 429, recovered a little with each success, never above the configured rate.
    private var ratePerSecond: Double

    private var inFlight = 0
    private var parallelWaiters: [CheckedContinuation<Void, Never>] = []

    private var pausedUntil: Date?
    private var circuit = CircuitState.closed
    private var circuitReason: String?
    private var retryAt: Date?
    private var cooldown: Duration
    private var consecutiveFailures = 0
    private var hasReported = false

    static let maxCooldown: Duration = .seconds(600)

    init(source: String, limits: SourceLimits, maxTokenWait: Duration = .seconds(2), onHealthChange: @escaping HealthListener = { _ in }) {
        self.source = source
        self.limits = limits
        self.maxTokenWait = maxTokenWait
        self.onHealthChange = onHealthChange
        self.tokens = Double(limits.burst)
        self.ratePerSecond = limits.rate.perSecond
        self.cooldown = limits.circuitCooldown
    }

    var circuitState: CircuitState { circuit }

    /// Asks to send one fetch. A `.proceed` holds one of the source's parallel slots until `finished()`.
    func admit(now: Date) async -> Admission {
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
            await report(now: now)
        }
        await acquireParallelSlot()
        return .proceed(wait: wait, isProbe: isProbe)
    }

    /// Releases the parallel slot taken by `admit`.
    func finished() {
        // A waiting fetch takes the slot over, so the count stays.
        if parallelWaiters.isEmpty { inFlight -= 1 } else { parallelWaiters.removeFirst().resume() }
    }

    func succeeded(now: Date) async {
        consecutiveFailures = 0
        ratePerSecond = min(limits.rate.perSecond, ratePerSecond * 1.1)
        // The first success of this process also clears what an earlier worker may have recorded
        // (an open circuit from before a restart), so status never shows a stale pause.
        if circuit != .closed || !hasReported {
            circuit = .closed
            circuitReason = nil
            retryAt = nil
            cooldown = limits.circuitCooldown
            await report(now: now)
        }
    }

    /// A 5xx, timeout or connection failure: enough of them in a row open the circuit.
    func failed(now: Date, reason: String) async {
        consecutiveFailures += 1
        if circuit == .halfOpen {
            probeFailed(now: now, reason: reason)
            await report(now: now)
        } else if circuit == .closed, consecutiveFailures >= limits.circuitFailures {
            open(now: now, reason: "\(consecutiveFailures) failures in a row, last: \(reason)")
            await report(now: now)
        }
    }

    /// 401/403: the credentials are refused. Every fetch would fail the same way, so pause them all.
    func unauthorized(now: Date, reason: String) async {
        if circuit == .halfOpen { probeFailed(now: now, reason: reason) } else { open(now: now, reason: reason) }
        await report(now: now)
    }

    /// 429: wait as long as the provider says (or a second), and halve the rate for a while.
    func rateLimited(now: Date, retryAfter: Duration?) async -> Date {
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
            await report(now: now)
        }
        return pausedUntil ?? until
    }

    /// The earliest time a deferred item should come back.
    var nextOpportunity: Date? { [pausedUntil, retryAt].compactMap { $0 }.max() }

    private func open(now: Date, reason: String) {
        circuit = .open
        circuitReason = reason
        retryAt = now.addingTimeInterval(cooldown.timeInterval)
    }

    private func probeFailed(now: Date, reason: String) {
        cooldown = min(cooldown * 2, Self.maxCooldown)
        open(now: now, reason: reason)
    }

    private func report(now: Date) async {
        hasReported = true
        await onHealthChange(SourceHealth(source: source, circuit: circuit, reason: circuitReason, changedAt: now, retryAt: circuit == .closed ? nil : retryAt))
    }

    // MARK: Token bucket

    private func refill(now: Date) {
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
    private func reserveToken(now: Date) -> Duration? {
        refill(now: now)
        let delay = tokenDelay(now: now)
        guard delay <= maxTokenWait.timeInterval else { return nil }
        tokens -= 1
        return .milliseconds(Int64((delay * 1000).rounded(.up)))
    }

    private func tokenDelay(now: Date) -> TimeInterval {
        tokens >= 1 ? 0 : (1 - tokens) / ratePerSecond
    }

    private func acquireParallelSlot() async {
        if inFlight < limits.maxParallel {
            inFlight += 1
            return
        }
        await withCheckedContinuation { parallelWaiters.append($0) }
    }
}
