import HookSyncCore
public import Foundation

/// A reproducible set of entities spread over the providers, for the `hooksync-sim` demo, benchmarks
/// and end-to-end tests: the same `entities` and `seed` always give the same ids, fields and times.
///
/// ```swift
/// let dataset = SimulatorDataset(entities: 1_000, seed: 7)
/// dataset.load(into: simulator)
/// for entry in dataset.entries where entry.provider == .kladana { /* send a webhook for entry.id */ }
/// ```
public struct SimulatorDataset: Sendable {
    /// The types entities are dealt over, in turn.
    public static let types: [(provider: SimulatedProvider, type: String)] = [
        (.precoro, "purchase_order"), (.precoro, "invoice"), (.economic, "customer"), (.economic, "product"),
        (.kladana, "customerorder"), (.softledger, "ledger_account"), (.standardWebhooks, "order"),
    ]

    /// One generated entity.
    public struct Entry: Sendable, Hashable {
        public var provider: SimulatedProvider
        public var type: String
        /// HookSync's key for it (Precoro id, e-conomic number, Kladana UUID, SoftLedger id, `ord_N`).
        public var id: String
        public var fields: [String: String]
        public var updatedAt: Date
    }

    public var entities: Int
    public var seed: UInt64
    /// The latest modification time; entities are spread over the 30 days before it. A fixed instant
    /// by default (2026-01-01T00:00:00Z) so the dataset does not depend on when it is made.
    public var latest: Date

    public init(entities: Int, seed: UInt64 = 1, latest: Date = Date(timeIntervalSince1970: 1_767_225_600)) {
        self.entities = entities
        self.seed = seed
        self.latest = latest
    }

    /// The entities, dealt over `types` in turn.
    public var entries: [Entry] {
        var random = SeededGenerator(seed: seed)
        var counts: [Int] = Array(repeating: 0, count: Self.types.count)
        let spread: UInt64 = 30 * 86_400_000
        return (0..<max(0, entities)).map { index in
            let slot = index % Self.types.count
            counts[slot] += 1
            let (provider, type) = Self.types[slot]
            let ordinal = counts[slot]
            var fields = Self.businessFields(random: &random)
            fields["name"] = "\(type) \(ordinal)"
            let age = Double(random.next() % spread) / 1_000
            return Entry(
                provider: provider, type: type, id: Self.id(provider, ordinal: ordinal, random: &random), fields: fields,
                updatedAt: latest.addingTimeInterval(-age))
        }
    }

    /// Puts every entry into the simulator's ground truth.
    public func load(into simulator: ProviderSimulator) {
        for entry in entries {
            simulator.upsert(entry.provider, type: entry.type, id: entry.id, fields: entry.fields, updatedAt: entry.updatedAt)
        }
    }

    /// The fields a change sets besides the name: a status and an amount. The driver draws its
    /// updates from here too, so generated and changed entities look alike.
    static func businessFields(random: inout SeededGenerator) -> [String: String] {
        let statuses = ["draft", "approved", "sent", "paid", "cancelled"]
        let cents = random.next() % 10_000_000
        return [
            "status": statuses[Int(random.next() % UInt64(statuses.count))],
            "amount": "\(cents / 100).\(String(format: "%02d", Int(cents % 100)))",
        ]
    }

    /// Ids shaped like each provider's: numbers where the provider numbers, a UUID for Kladana. The
    /// driver numbers the entities it creates the same way, after the ones that exist.
    static func id(_ provider: SimulatedProvider, ordinal: Int, random: inout SeededGenerator) -> String {
        switch provider {
        case .precoro: String(100_000 + ordinal)
        case .economic: String(ordinal)
        case .kladana: random.uuid()
        case .softledger: String(1_000 + ordinal)
        case .standardWebhooks: "ord_\(ordinal)"
        }
    }
}
