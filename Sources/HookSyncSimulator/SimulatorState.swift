import HookSyncCore

/// Everything the simulator knows and counts, guarded as one value by `ProviderSimulator`'s mutex.
///
/// Plain value code with no locking or I/O of its own, so each rule (timestamps at the provider's
/// precision that never move back, IDN sequences, the order fault decisions are taken in) reads top
/// to bottom.
struct SimulatorState {
    /// Ground truth: per provider and type, each entity by id (deleted ones kept, flagged).
    var tables: [TypeKey: [String: EntityRecord]] = [:]
    /// Precoro documents: IDN → id, per type. IDNs are never reused, so the count is the sequence.
    var precoroIDNs: [TypeKey: [Int: String]] = [:]
    var faults: [SimulatedProvider: SimulatorFaults] = [:]
    var failNextRemaining: [SimulatedProvider: Int] = [:]
    var windows: [SimulatedProvider: SlidingWindow] = [:]
    var random: SeededGenerator
    var fetches: [EntityRef: Gauge] = [:]
    var requests: [SimulatedProvider: Gauge] = [:]
    /// `http://host:port` of the running server, once bound.
    var origin: String?
    var cursorPageSize = 500

    init(seed: UInt64) {
        random = SeededGenerator(seed: seed)
    }

    // MARK: Ground truth

    /// Creates or replaces the entity. Without an explicit time it is stamped `now` at the provider's
    /// precision, as upstream does: two changes within one tick (one second for Precoro and
    /// e-conomic) share a time, and only the data tells them apart.
    mutating func upsert(_ ref: EntityRef, fields: [String: String], explicitTime: Int64?, now: Int64) -> EntityRecord {
        let key = ref.typeKey
        let previous = tables[key]?[ref.id]
        let record = EntityRecord(
            fields: fields, updatedAt: stamp(ref.provider, explicit: explicitTime, after: previous.map { [$0.updatedAt] } ?? [], now: now),
            deleted: false, idn: previous?.idn ?? nextIDN(ref))
        tables[key, default: [:]][ref.id] = record
        return record
    }

    /// Marks the entity deleted; its fields and last time stay for `truthLines`. Unknown ids are ignored.
    mutating func delete(_ ref: EntityRef) {
        tables[ref.typeKey]?[ref.id]?.deleted = true
    }

    /// e-conomic renumber: the old number is deleted, the new one holds its fields, stamped `now`.
    mutating func renumber(from old: EntityRef, to new: EntityRef, now: Int64) {
        let moved = tables[old.typeKey]?[old.id]
        let earlier = [moved?.updatedAt, tables[new.typeKey]?[new.id]?.updatedAt].compactMap { $0 }
        delete(old)
        tables[new.typeKey, default: [:]][new.id] = EntityRecord(
            fields: moved?.fields ?? [:], updatedAt: stamp(new.provider, explicit: nil, after: earlier, now: now), deleted: false, idn: nil)
    }

    func record(_ ref: EntityRef) -> EntityRecord? {
        tables[ref.typeKey]?[ref.id]
    }

    /// Every live entity of a type, unsorted.
    func liveEntities(_ key: TypeKey) -> [SimulatedEntity] {
        (tables[key] ?? [:]).compactMap { id, record in record.deleted ? nil : record.entity(type: key.type, id: id) }
    }

    /// The types a provider holds entities of (deleted ones included).
    func types(of provider: SimulatedProvider) -> [String] {
        tables.keys.filter { $0.provider == provider }.map(\.type)
    }

    /// The id a path's address names: Precoro documents are addressed by IDN, everything else by id.
    func id(addressedBy address: String, _ key: TypeKey) -> String {
        guard key.provider == .precoro, PrecoroWire.isDocument(key.type) else { return address }
        return Int(address).flatMap { precoroIDNs[key]?[$0] } ?? "idn:\(address)"
    }

    private mutating func nextIDN(_ ref: EntityRef) -> Int? {
        guard ref.provider == .precoro, PrecoroWire.isDocument(ref.type) else { return nil }
        let idn = (precoroIDNs[ref.typeKey]?.count ?? 0) + 1
        precoroIDNs[ref.typeKey, default: [:]][idn] = ref.id
        return idn
    }

    /// `now` at the provider's precision, never before an earlier stamp of the entity (a wall clock
    /// stepped back does not date a change before the one it follows), and never moved past one: a
    /// change in the same tick as the previous gets the same time, as upstream.
    private func stamp(_ provider: SimulatedProvider, explicit: Int64?, after earlier: [Int64], now: Int64) -> Int64 {
        let step = provider.timePrecisionMilliseconds
        // An explicit time is taken as given (at the provider's precision): a batch stamps all its changes with one.
        if let explicit { return WireTime.floor(explicit, to: step) }
        return max(WireTime.floor(now, to: step), earlier.max() ?? .min)
    }

    // MARK: Faults

    /// What happens to an admitted request, decided in the documented order: rate limit, forced
    /// status, failNext (entity fetches only), then one draw for failure or timeout, else latency.
    mutating func decide(_ provider: SimulatedProvider, isEntityFetch: Bool, now: Int64) -> FaultDecision {
        let faults = faults[provider] ?? .none
        if let limit = faults.rateLimit,
           let wait = windows[provider, default: SlidingWindow()].admit(now: now, limit: limit.requests, period: limit.per) {
            return .rateLimited(wait)
        }
        if let status = faults.forcedStatus {
            return .forced(status, RateLimitWait(now: now, retryAt: now + 1_000, resetAt: now + 1_000, limit: faults.rateLimit?.requests ?? 1, period: .seconds(1)))
        }
        if isEntityFetch, let remaining = failNextRemaining[provider], remaining > 0 {
            failNextRemaining[provider] = remaining - 1
            return .unavailable
        }
        if faults.failureRate > 0 || faults.timeoutRate > 0 {
            let draw = Double.random(in: 0..<1, using: &random)
            if draw < faults.failureRate { return .unavailable }
            if draw < faults.failureRate + faults.timeoutRate { return .hang(faults.timeoutDuration) }
        }
        return .proceed(latency: faults.latency)
    }
}

/// The outcome of `SimulatorState.decide`.
enum FaultDecision {
    case proceed(latency: Duration)
    case rateLimited(RateLimitWait)
    /// `forcedStatus`; the wait is what a forced 429 advertises.
    case forced(Int, RateLimitWait)
    case unavailable
    case hang(Duration)
}

struct TypeKey: Hashable, Sendable {
    var provider: SimulatedProvider
    var type: String
}

struct EntityRef: Hashable, Sendable {
    var provider: SimulatedProvider
    var type: String
    var id: String

    var typeKey: TypeKey { TypeKey(provider: provider, type: type) }
}

/// One entity's ground truth.
struct EntityRecord: Sendable {
    var fields: [String: String]
    /// Milliseconds since 1970 (UTC) at the provider's precision: the last live modification.
    var updatedAt: Int64
    var deleted: Bool
    var idn: Int?

    func entity(type: String, id: String) -> SimulatedEntity {
        SimulatedEntity(type: type, id: id, fields: fields, updatedAt: updatedAt, idn: idn)
    }
}

/// Requests (or fetches) so far, in flight now, and the most in flight at once.
struct Gauge {
    var total = 0
    var inFlight = 0
    var peak = 0

    mutating func enter() {
        total += 1
        inFlight += 1
        peak = max(peak, inFlight)
    }

    mutating func leave() {
        inFlight -= 1
    }
}

/// A sliding-window rate limit: the times of the requests admitted within the last `period`.
struct SlidingWindow {
    private var admitted: [Int64] = []
    /// Index of the oldest request still in the window; the array is compacted now and then rather
    /// than shifted on every expiry.
    private var head = 0

    /// Admits the request (and returns `nil`) or says how long until the window has room.
    mutating func admit(now: Int64, limit: Int, period: Duration) -> RateLimitWait? {
        let length = period.components.seconds * 1_000 + period.components.attoseconds / 1_000_000_000_000_000
        while head < admitted.count, admitted[head] + length <= now { head += 1 }
        if head > 1_024, head * 2 > admitted.count {
            admitted.removeFirst(head)
            head = 0
        }
        guard admitted.count - head >= max(limit, 0) else {
            admitted.append(now)
            return nil
        }
        let oldest = head < admitted.count ? admitted[head] : now
        let newest = admitted.last ?? now
        return RateLimitWait(now: now, retryAt: oldest + length, resetAt: newest + length, limit: limit, period: period)
    }
}
