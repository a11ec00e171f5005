public import Foundation

/// A provider account's API budget as every process on one database shares it: windows of "at most
/// N requests in any span of W", a limit on requests in flight at once, and a pause a provider asked
/// for (a 429). The SQLite queue implements it beside the queue; a PostgreSQL backend must give the
/// same answers.
///
/// Meaning, for one source, whatever process asks:
/// - **Windows are sliding logs.** A request is granted at time `t` only if, for every window
///   `N/W`, fewer than `N` requests were granted in `(t − W, t]`. So exactly `N` go through in any
///   span of `W`, and the `N+1`th waits until the oldest of them is `W` old. This is the strictest
///   way a provider can count (a provider counting fixed windows, or a rolling log, never sees more
///   than `N` either), and a window with a large `N` is a quota, not a smoothed rate: `50000/1d`
///   spends as fast as the other limits allow and stops when the day's 50,000 are spent.
/// - **Parallel slots are leases.** A grant holds one of the source's `maxParallel` slots until it is
///   released or its expiry passes, so a killed process's slots come back by themselves.
/// - **A pause stops every grant** until its end; a later pause never shortens an earlier one.
/// - Checking the pause, the slots and every window, and recording the grant, is one atomic step
///   (one short write transaction), so two processes never both take the last unit of a window.
///   The time of a grant is read from `clock` inside that step, so grants are recorded in the order
///   they happen.
///
/// ```swift
/// let budget = SourceBudget(windows: [BudgetWindow(requests: 1, per: .seconds(1))], maxParallel: 1)
/// switch try await store.acquire(source: "precoro", budget: budget, holder: "host:42", slotExpiry: .seconds(40), clock: clock) {
/// case .granted(let slot): defer { Task { try await store.release([slot]) } } // … send the request
/// case .refused(let refusal): try await Task.sleep(until: refusal.until) // … or put the work back
/// }
/// ```
public protocol BudgetStore: Sendable {
    /// Releases `releasing` (slots this caller has finished with: one transaction instead of two),
    /// then grants one request against every window and a parallel slot, or says why not and until
    /// when.
    func acquire(
        source: String, budget: SourceBudget, holder: String, slotExpiry: Duration, releasing: [BudgetSlot], clock: any WallClock
    ) async throws -> BudgetAdmission

    /// Gives parallel slots back before their expiry.
    func release(_ slots: [BudgetSlot]) async throws

    /// Stops every grant for the source until `until` (kept if a pause already lasts longer).
    func pause(source: String, until: Date, reason: String) async throws

    /// Each source's budget as last used: windows, slots in flight, pause.
    func budgetStatus(now: Date) async throws -> [SourceBudgetStatus]
}

extension BudgetStore {
    public func acquire(source: String, budget: SourceBudget, holder: String, slotExpiry: Duration, clock: any WallClock) async throws -> BudgetAdmission {
        try await acquire(source: source, budget: budget, holder: holder, slotExpiry: slotExpiry, releasing: [], clock: clock)
    }
}

/// At most `requests` in any span of `per`, written `45/3s`.
public struct BudgetWindow: Sendable, Hashable, Codable, CustomStringConvertible {
    public var requests: Int
    public var per: Duration

    public init(requests: Int, per: Duration) {
        self.requests = requests
        self.per = per
    }

    public init?(parsing text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let requests = Int(parts[0]), requests >= 1,
              let per = HumanDuration.parse(parts[1]), per > .zero
        else { return nil }
        self.init(requests: requests, per: per)
    }

    public var perSecond: Double { Double(requests) / per.timeInterval }
    public var description: String { "\(requests)/\(HumanDuration.format(per))" }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let window = BudgetWindow(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\"\(text)\" is not N/duration"))
        }
        self = window
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// What one source may spend: every window at once, and requests in flight.
public struct SourceBudget: Sendable, Hashable {
    public var windows: [BudgetWindow]
    public var maxParallel: Int

    public init(windows: [BudgetWindow], maxParallel: Int) {
        self.windows = windows
        self.maxParallel = maxParallel
    }

    /// `1/1s, 1500/1h, 3000/1d`: how the store records it, for status.
    public var windowsText: String { windows.map(\.description).joined(separator: ", ") }

    public static func parseWindows(_ text: String) -> [BudgetWindow] {
        text.split(separator: ",").compactMap { BudgetWindow(parsing: String($0)) }
    }
}

/// A parallel slot held by one granted request.
public struct BudgetSlot: Sendable, Hashable {
    public var source: String
    public var id: Int64

    public init(source: String, id: Int64) {
        self.source = source
        self.id = id
    }
}

public enum BudgetAdmission: Sendable, Hashable {
    /// Send the request; release the slot when it is answered.
    case granted(BudgetSlot)
    /// Not now; nothing was recorded.
    case refused(BudgetRefusal)
}

/// Why a request may not go out yet, and the earliest time asking again can help.
public enum BudgetRefusal: Sendable, Hashable, CustomStringConvertible {
    /// The provider asked every process to wait.
    case paused(until: Date, reason: String)
    /// The window is spent until its oldest request is `per` old.
    case window(BudgetWindow, freesAt: Date)
    /// `maxParallel` slots are held; the earliest expires at `expiresAt` (a release frees one sooner).
    case parallel(inFlight: Int, expiresAt: Date)

    public var until: Date {
        switch self {
        case .paused(let until, _): until
        case .window(_, let freesAt): freesAt
        case .parallel(_, let expiresAt): expiresAt
        }
    }

    public var description: String {
        switch self {
        case .paused(_, let reason): "paused: \(reason)"
        case .window(let window, _): "budget \(window) spent"
        case .parallel(let inFlight, _): "\(inFlight) requests in flight (the parallel limit)"
        }
    }
}

/// A source's budget for status: each window's use, the slots in flight, and a pause.
public struct SourceBudgetStatus: Sendable, Hashable, Codable {
    public var source: String
    public var windows: [WindowUsage]
    public var maxParallel: Int
    public var inFlight: Int
    /// The end of a pause still in force, and why.
    public var pausedUntil: Date?
    public var pauseReason: String?

    public init(source: String, windows: [WindowUsage], maxParallel: Int, inFlight: Int, pausedUntil: Date?, pauseReason: String?) {
        self.source = source
        self.windows = windows
        self.maxParallel = maxParallel
        self.inFlight = inFlight
        self.pausedUntil = pausedUntil
        self.pauseReason = pauseReason
    }

    enum CodingKeys: String, CodingKey {
        case windows
        case maxParallel = "max_parallel"
        case inFlight = "in_flight"
        case pausedUntil = "paused_until"
        case pauseReason = "pause_reason"
        case source
    }

    // Written out so that absent values appear as `null`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(source, forKey: .source)
        try container.encode(windows, forKey: .windows)
        try container.encode(maxParallel, forKey: .maxParallel)
        try container.encode(inFlight, forKey: .inFlight)
        try container.encode(pausedUntil, forKey: .pausedUntil)
        try container.encode(pauseReason, forKey: .pauseReason)
    }
}

/// One window's use at a moment: requests granted in the last `per`, and when the oldest of them
/// leaves the window (one more request becomes available then).
public struct WindowUsage: Sendable, Hashable, Codable {
    public var window: BudgetWindow
    public var used: Int
    public var remaining: Int { max(0, window.requests - used) }
    /// When the next unit comes back; `nil` when nothing is used.
    public var refillsAt: Date?

    public init(window: BudgetWindow, used: Int, refillsAt: Date?) {
        self.window = window
        self.used = used
        self.refillsAt = refillsAt
    }

    enum CodingKeys: String, CodingKey {
        case window, used, remaining
        case refillsAt = "refills_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        window = try container.decode(BudgetWindow.self, forKey: .window)
        used = try container.decode(Int.self, forKey: .used)
        refillsAt = try container.decodeIfPresent(Date.self, forKey: .refillsAt)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(window, forKey: .window)
        try container.encode(used, forKey: .used)
        try container.encode(remaining, forKey: .remaining)
        try container.encode(refillsAt, forKey: .refillsAt)
    }
}
