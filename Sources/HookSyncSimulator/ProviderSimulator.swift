public import Foundation
import HookSyncCore
import Synchronization

/// An in-process fake of the providers' REST APIs: ground truth you set, faults you choose, and
/// counters that say how the client behaved.
///
/// Tests mutate the truth directly, serve it over real HTTP with `application()`, and compare what
/// HookSync mirrored with `truthLines`. Every chance decision draws from a generator seeded with
/// `seed`; every time (entity stamps, rate-limit windows, token expiry) comes from `now`.
///
/// ```swift
/// let simulator = ProviderSimulator(seed: 7)
/// simulator.upsert(.economic, type: "customer", id: "33", fields: ["name": "Acme"])
/// simulator.setFaults(.economic, SimulatorFaults(latency: .milliseconds(20), failNext: 1))
/// let app = simulator.application { port in print("serving on \(port)") }
/// try await app.runService()
/// // …
/// let truth = simulator.truthLines(sourceNames: [.economic: "economic-dk"])
/// ```
public final class ProviderSimulator: Sendable {
    let state: Mutex<SimulatorState>
    let now: @Sendable () -> Date
    let wires: [SimulatedProvider: any ProviderWire]
    let softLedgerTokens: SoftLedgerTokens
    /// Also serves the token endpoint, outside the API's path prefix.
    let softLedgerWire: SoftLedgerWire
    public let credentials: SimulatorCredentials
    /// The drive started through `POST /_sim/drive`, if any.
    let driveSlot = Mutex(DriveSlot())

    public init(credentials: SimulatorCredentials = .init(), seed: UInt64 = 1, now: @escaping @Sendable () -> Date = Date.init) {
        self.credentials = credentials
        self.now = now
        state = Mutex(SimulatorState(seed: seed))
        let tokens = SoftLedgerTokens(seed: seed, now: { Self.milliseconds(now()) })
        softLedgerTokens = tokens
        softLedgerWire = SoftLedgerWire(credentials: credentials, tokens: tokens)
        let all: [any ProviderWire] = [
            PrecoroWire(email: credentials.precoroEmail, token: credentials.precoroToken),
            EconomicWire(appSecret: credentials.economicAppSecret, grant: credentials.economicGrant),
            KladanaWire(token: credentials.kladanaToken),
            softLedgerWire,
            StandardWebhooksWire(token: credentials.standardToken),
        ]
        wires = Dictionary(uniqueKeysWithValues: all.map { ($0.provider, $0) })
    }

    // MARK: Ground truth

    /// Creates or replaces an entity (its fields become exactly `fields`) and returns its JSON object
    /// as the API serves it. `type` is HookSync's entity type name; `id` is HookSync's key (Precoro's
    /// `id`, e-conomic's number). Without `updatedAt` the entity is stamped `now` at the provider's
    /// precision, so two changes within one second of Precoro or e-conomic share a time, as upstream;
    /// an explicit `updatedAt` is taken as given. A new Precoro document gets the next IDN
    /// of its type.
    ///
    /// Kladana objects link to themselves (`meta.href`) on the simulator's address, which is known
    /// once `application` has bound (or was given a fixed port); before that it reads
    /// `http://127.0.0.1:0`.
    @discardableResult
    public func upsert(_ provider: SimulatedProvider, type: String, id: String, fields: [String: String] = [:], updatedAt: Date? = nil) -> Data {
        let ref = EntityRef(provider: provider, type: type, id: id)
        let at = Self.milliseconds(now())
        let (record, origin) = state.withLock { state in
            (state.upsert(ref, fields: fields, explicitTime: updatedAt.map(Self.milliseconds), now: at), state.origin)
        }
        return render(provider, record.entity(type: type, id: id), origin: origin)
    }

    /// Deletes an entity: fetches answer 404 and listings leave it out from now on.
    public func delete(_ provider: SimulatedProvider, type: String, id: String) {
        state.withLock { $0.delete(EntityRef(provider: provider, type: type, id: id)) }
    }

    /// e-conomic renumbers an entity: `old` answers 404 from now on, `new` holds its fields with a
    /// newer `lastUpdated`.
    public func renumber(economicType type: String, from old: String, to new: String) {
        let at = Self.milliseconds(now())
        state.withLock { state in
            state.renumber(
                from: EntityRef(provider: .economic, type: type, id: old), to: EntityRef(provider: .economic, type: type, id: new), now: at)
        }
    }

    /// The entity's JSON object as the API serves it now; `nil` when unknown or deleted.
    public func entityJSON(_ provider: SimulatedProvider, type: String, id: String) -> Data? {
        let (record, origin) = state.withLock { ($0.record(EntityRef(provider: provider, type: type, id: id)), $0.origin) }
        guard let record, !record.deleted else { return nil }
        return render(provider, record.entity(type: type, id: id), origin: origin)
    }

    /// The IDN the Precoro API addresses a document by (`GET /precoro/purchaseorders/{idn}`); `nil`
    /// for an unknown entity or a type fetched by id (supplier, custom fields).
    public func precoroIDN(type: String, id: String) -> String? {
        state.withLock { $0.record(EntityRef(provider: .precoro, type: type, id: id))?.idn.map(String.init) }
    }

    /// Ground truth as JSON lines in (source, type, id) order, byte-wise as SQLite sorts text: the shape
    /// of `hooksync mirror export` without `synced_at`, so a test can compare the two. `source` is the
    /// name given for the provider; providers not in `sourceNames` are left out. A deleted entity has
    /// `"deleted": true`, `"data": null`, and the time of its last live version, as the mirror keeps it.
    public func truthLines(
        sourceNames: [SimulatedProvider: String] = Dictionary(uniqueKeysWithValues: SimulatedProvider.allCases.map { ($0, $0.rawValue) })
    ) -> [String] {
        let (tables, origin) = state.withLock { ($0.tables, $0.origin) }
        var lines: [(source: String, type: String, id: String, line: String)] = []
        for (key, entities) in tables {
            guard let source = sourceNames[key.provider] else { continue }
            for (id, record) in entities {
                let document = EntityDocument(
                    key: EntityKey(source: source, type: key.type, id: id), deleted: record.deleted,
                    remoteModifiedAt: Date(timeIntervalSince1970: TimeInterval(record.updatedAt) / 1_000), syncedAt: nil,
                    data: record.deleted ? nil : render(key.provider, record.entity(type: key.type, id: id), origin: origin))
                lines.append((source, key.type, id, document.jsonLine()))
            }
        }
        return lines.sorted { a, b in
            for (x, y) in [(a.source, b.source), (a.type, b.type), (a.id, b.id)] where x != y {
                return x.utf8.lexicographicallyPrecedes(y.utf8)
            }
            return false
        }.map(\.line)
    }

    // MARK: Faults and settings

    /// Replaces the provider's faults; `failNext` starts counting again from the value given.
    public func setFaults(_ provider: SimulatedProvider, _ faults: SimulatorFaults) {
        state.withLock { state in
            state.faults[provider] = faults
            state.failNextRemaining[provider] = faults.failNext
        }
    }

    public func faults(_ provider: SimulatedProvider) -> SimulatorFaults {
        state.withLock { $0.faults[provider] ?? .none }
    }

    /// Rows per page of the Standard Webhooks listing (500 unless changed; tests lower it to reach a
    /// page boundary with few rows).
    public var standardWebhooksPageSize: Int {
        get { state.withLock { $0.cursorPageSize } }
        set { state.withLock { $0.cursorPageSize = max(1, newValue) } }
    }

    /// `http://host:port` of the running server: set when `application` binds (or is given a fixed
    /// port). Kladana objects link to themselves on it. Set it yourself to render objects as a server
    /// elsewhere serves them (`hooksync-sim truth` does, for the port `serve` uses).
    public var serverOrigin: String? {
        get { state.withLock { $0.origin } }
        set { state.withLock { $0.origin = newValue } }
    }

    // MARK: Instrumentation

    /// Entity GETs of that entity that reached the simulator, whatever they were answered.
    public func fetchCount(_ provider: SimulatedProvider, type: String, id: String) -> Int {
        state.withLock { $0.fetches[EntityRef(provider: provider, type: type, id: id)]?.total ?? 0 }
    }

    /// The most GETs of that one entity in flight at once (latency included).
    public func maxConcurrentFetches(_ provider: SimulatedProvider, type: String, id: String) -> Int {
        state.withLock { $0.fetches[EntityRef(provider: provider, type: type, id: id)]?.peak ?? 0 }
    }

    /// The largest `maxConcurrentFetches` of any entity: 1 means no entity was ever fetched twice at once.
    public func maxConcurrentFetchesOfAnyEntity() -> Int {
        state.withLock { $0.fetches.values.map(\.peak).max() ?? 0 }
    }

    /// All requests to the provider so far (fetches, listings, token requests), whatever they were answered.
    public func requestCount(_ provider: SimulatedProvider) -> Int {
        state.withLock { $0.requests[provider]?.total ?? 0 }
    }

    /// The most requests to the provider in flight at once.
    public func peakConcurrency(_ provider: SimulatedProvider) -> Int {
        state.withLock { $0.requests[provider]?.peak ?? 0 }
    }

    /// Requests to SoftLedger's token endpoint so far.
    public func tokenRequestCount() -> Int {
        softLedgerTokens.requestCount
    }

    /// Zeroes the counters and peaks (not the in-flight counts), e.g. after a benchmark's warm-up.
    public func resetInstrumentation() {
        state.withLock { state in
            state.fetches = state.fetches.compactMapValues { $0.inFlight > 0 ? Gauge(total: 0, inFlight: $0.inFlight, peak: $0.inFlight) : nil }
            state.requests = state.requests.mapValues { Gauge(total: 0, inFlight: $0.inFlight, peak: $0.inFlight) }
        }
    }

    // MARK: Helpers

    /// Where Kladana objects say they live before the server has bound: a placeholder, used for
    /// serving and for `entityJSON` alike so the two always agree.
    static let unboundOrigin = "http://127.0.0.1:0"

    func render(_ provider: SimulatedProvider, _ entity: SimulatedEntity, origin: String?) -> Data {
        wires[provider]!.render(entity, origin: origin ?? Self.unboundOrigin).data
    }

    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000).rounded(.down))
    }
}
