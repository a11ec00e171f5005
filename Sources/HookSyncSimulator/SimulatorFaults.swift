/// What goes wrong, on purpose, in one provider's API: latency, failures, hangs, a forced status, a rate limit.
///
/// Every decision that involves chance draws from the simulator's seeded generator, so a run with the
/// same seed and the same order of requests fails the same requests.
///
/// ```swift
/// simulator.setFaults(.economic, SimulatorFaults(latency: .milliseconds(20), failureRate: 0.05))
/// simulator.setFaults(.precoro, SimulatorFaults(rateLimit: (requests: 1, per: .seconds(1))))
/// simulator.setFaults(.kladana, SimulatorFaults(forcedStatus: 401))   // credentials "expired"
/// ```
public struct SimulatorFaults: Sendable {
    /// Added to every admitted request before it is answered.
    public var latency: Duration
    /// Share of admitted requests answered 503 at once.
    public var failureRate: Double
    /// Share of admitted requests that hang for `timeoutDuration` (or until the client disconnects),
    /// then answer 504.
    public var timeoutRate: Double
    /// How long a simulated timeout hangs.
    public var timeoutDuration: Duration
    /// Answer every request of the provider (credentials permitting) with this status, e.g. 401 for
    /// credentials that expired upstream. 429 comes with the provider's own rate-limit signal.
    public var forcedStatus: Int?
    /// The next this-many entity fetches answer 503 (listings are not counted).
    public var failNext: Int
    /// At most `requests` admitted requests in any window of `per` (by the simulator's `now`); beyond
    /// it the provider's own 429 signal says when the window frees.
    public var rateLimit: (requests: Int, per: Duration)?

    public init(
        latency: Duration = .zero,
        failureRate: Double = 0,
        timeoutRate: Double = 0,
        timeoutDuration: Duration = .seconds(30),
        forcedStatus: Int? = nil,
        failNext: Int = 0,
        rateLimit: (requests: Int, per: Duration)? = nil
    ) {
        self.latency = latency
        self.failureRate = failureRate
        self.timeoutRate = timeoutRate
        self.timeoutDuration = timeoutDuration
        self.forcedStatus = forcedStatus
        self.failNext = failNext
        self.rateLimit = rateLimit
    }

    /// A provider that behaves.
    public static let none = SimulatorFaults()
}
