/// When to try a failed work item again, and when to stop trying.
///
/// A value rather than arithmetic in the worker, as in swift-jobs' `JobRetryStrategy`.
///
/// ```swift
/// let strategy = RetryStrategy.exponentialJitter(maxAttempts: 12, base: .seconds(1), maxBackoff: .seconds(1800))
/// if strategy.shouldRetry(attempts: item.attempts + 1) { retryAt = now + strategy.backoff(attempt: item.attempts + 1) }
/// ```
public struct RetryStrategy: Sendable, Hashable {
    public var maxAttempts: Int
    public var base: Duration
    public var maxBackoff: Duration

    /// Exponential backoff with full jitter: a random delay in `0...min(maxBackoff, base * 2^(attempt-1))`.
    /// Full jitter spreads a burst of failures so they do not retry in lockstep against a recovering upstream.
    public static func exponentialJitter(maxAttempts: Int, base: Duration, maxBackoff: Duration) -> RetryStrategy {
        RetryStrategy(maxAttempts: maxAttempts, base: base, maxBackoff: maxBackoff)
    }

    /// Whether an item that has now failed `attempts` times may be tried again.
    public func shouldRetry(attempts: Int) -> Bool {
        attempts < maxAttempts
    }

    /// The upper bound of the delay after the `attempt`-th failure (1-based), before jitter.
    public func backoffCeiling(attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 62)
        let scaled = base.timeInterval * Double(UInt64(1) << UInt64(exponent))
        return scaled >= maxBackoff.timeInterval ? maxBackoff : base * Double(UInt64(1) << UInt64(exponent))
    }

    /// The delay after the `attempt`-th failure: uniformly random up to the ceiling.
    public func backoff(attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let ceiling = backoffCeiling(attempt: attempt).timeInterval
        return .milliseconds(Int64((Double.random(in: 0...1, using: &generator) * ceiling * 1000).rounded()))
    }

    public func backoff(attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return backoff(attempt: attempt, using: &generator)
    }
}
