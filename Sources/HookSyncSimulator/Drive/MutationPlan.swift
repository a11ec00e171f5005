/// What a drive changes and how fast: ordinary mutations at a steady rate, bulk imports (bursts of
/// creates and updates to one type at once), same-time batches (several changes to one entity that
/// share one modification time), and one SoftLedger bulk action that sends no webhooks.
///
/// The driver changes entities of the types in `SimulatorDataset.types`, for the providers its
/// `WebhookTarget` names (SoftLedger's silent bulk action whether it is named or not).
///
/// ```swift
/// let plan = MutationPlan(mutations: 500, rate: 50, bulkImports: 2, bulkSize: 100, silentBulk: 20)
/// // 500 changes over 10 s; two bursts of 100 at the 1/3 and 2/3 marks; 20 silent SoftLedger changes halfway
/// ```
public struct MutationPlan: Sendable, Hashable {
    /// Ordinary mutations, one at a time, each to a type drawn at random among the targeted ones.
    public var mutations: Int
    /// Ordinary mutations per second; `nil` makes them as fast as the webhooks can be handed out.
    public var rate: Double?
    /// How ordinary mutations are shared among creates, updates, deletes and renumbers.
    public var mix: MutationMix
    /// Bursts spread evenly through the drive, each `bulkSize` changes to one type of a provider
    /// other than SoftLedger, each a create or an update with equal chance, all made at once and
    /// announced as fast as the provider can.
    public var bulkImports: Int
    public var bulkSize: Int
    /// SoftLedger entities (ledger accounts) one bulk action changes halfway through the drive,
    /// without a single webhook: only reconciliation can see them.
    public var silentBulk: Int
    /// Batches spread evenly through the drive, each `batchChanges` updates to one entity of a
    /// provider other than SoftLedger, `batchSpacing` apart, all stamped with the batch's first
    /// time (an e-conomic bulk edit, a Kladana batch): versions that only their data tells apart,
    /// each announced by its own webhook as it is made.
    public var sameTimeBatches: Int
    public var batchChanges: Int
    public var batchSpacing: Duration

    public init(
        mutations: Int = 100, rate: Double? = nil, mix: MutationMix = .standard, bulkImports: Int = 0, bulkSize: Int = 50, silentBulk: Int = 0,
        sameTimeBatches: Int = 0, batchChanges: Int = 4, batchSpacing: Duration = .milliseconds(100)
    ) {
        self.mutations = mutations
        self.rate = rate
        self.mix = mix
        self.bulkImports = bulkImports
        self.bulkSize = bulkSize
        self.silentBulk = silentBulk
        self.sameTimeBatches = sameTimeBatches
        self.batchChanges = batchChanges
        self.batchSpacing = batchSpacing
    }

    /// Every change the plan makes, ordinary, bulk, batched and silent.
    public var totalMutations: Int { mutations + bulkImports * bulkSize + sameTimeBatches * batchChanges + silentBulk }

    public func validate() throws(DriveConfigurationError) {
        guard mutations >= 0 else { throw DriveConfigurationError("mutations must be 0 or more, got \(mutations)") }
        if let rate { guard rate.isFinite, rate > 0 else { throw DriveConfigurationError("rate must be a number of mutations per second above 0, got \(rate)") } }
        guard bulkImports >= 0 else { throw DriveConfigurationError("bulk_imports must be 0 or more, got \(bulkImports)") }
        guard bulkSize >= 1 else { throw DriveConfigurationError("bulk_size must be 1 or more, got \(bulkSize)") }
        guard silentBulk >= 0 else { throw DriveConfigurationError("silent_bulk must be 0 or more, got \(silentBulk)") }
        guard sameTimeBatches >= 0 else { throw DriveConfigurationError("same_time_batches must be 0 or more, got \(sameTimeBatches)") }
        guard batchChanges >= 1 else { throw DriveConfigurationError("batch_changes must be 1 or more, got \(batchChanges)") }
        guard batchSpacing >= .zero, batchSpacing * batchChanges < .seconds(1) else {
            throw DriveConfigurationError("a batch's changes must fit within one second: batch_changes × batch_spacing_ms is \(batchSpacing * batchChanges)")
        }
        guard totalMutations > 0 else { throw DriveConfigurationError("the plan changes nothing: give mutations, bulk_imports or silent_bulk") }
        try mix.validate()
    }

    /// The plan as a sequence: bulk imports and batches (a step per change) before the ordinary
    /// mutation at their mark, the silent bulk action before the middle one. `position` is the
    /// ordinary mutation a step waits for, so with a rate, step k starts `position / rate` seconds
    /// into the drive.
    var steps: [DriveStep] {
        var steps: [DriveStep] = []
        steps.reserveCapacity(mutations + bulkImports + sameTimeBatches * batchChanges + 1)
        let bulkMarks = (0..<bulkImports).map { ($0 + 1) * mutations / (bulkImports + 1) }
        let batchMarks = (0..<sameTimeBatches).map { (2 * $0 + 1) * mutations / (2 * sameTimeBatches) }
        var nextBulk = 0, nextBatch = 0
        for position in 0...mutations {
            while nextBulk < bulkMarks.count, bulkMarks[nextBulk] == position {
                steps.append(DriveStep(position: position, kind: .bulkImport))
                nextBulk += 1
            }
            while nextBatch < batchMarks.count, batchMarks[nextBatch] == position {
                steps += (0..<batchChanges).map { DriveStep(position: position, kind: .batchChange(index: $0)) }
                nextBatch += 1
            }
            if silentBulk > 0, position == mutations / 2 { steps.append(DriveStep(position: position, kind: .silentBulk)) }
            if position < mutations { steps.append(DriveStep(position: position, kind: .mutation)) }
        }
        return steps
    }
}

/// One step of a drive; see `MutationPlan.steps`.
struct DriveStep: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case mutation
        case bulkImport
        /// The `index`th change of a same-time batch; the first chooses the entity and the time.
        case batchChange(index: Int)
        case silentBulk
    }

    var position: Int
    var kind: Kind
}

/// Relative weights of the kinds of ordinary mutation. A renumber happens only to e-conomic entities
/// (no other provider renumbers), so for other providers its weight is left out. A delete of a
/// Precoro document is a cancellation (a status change, announced as an update): Precoro deletes
/// nothing and announces no deletions.
///
/// ```swift
/// MutationMix(creates: 1, updates: 1, deletes: 0, renumbers: 0)  // half creates, half updates
/// ```
public struct MutationMix: Sendable, Hashable {
    public var creates: Double
    public var updates: Double
    public var deletes: Double
    public var renumbers: Double

    public init(creates: Double, updates: Double, deletes: Double, renumbers: Double) {
        self.creates = creates
        self.updates = updates
        self.deletes = deletes
        self.renumbers = renumbers
    }

    /// Mostly updates, as in an accounting system's day: 2 creates, 6 updates, 1 delete, 1 renumber.
    public static let standard = MutationMix(creates: 2, updates: 6, deletes: 1, renumbers: 1)

    public func validate() throws(DriveConfigurationError) {
        for (name, weight) in [("create", creates), ("update", updates), ("delete", deletes), ("renumber", renumbers)] {
            guard weight.isFinite, weight >= 0 else { throw DriveConfigurationError("the \(name) weight of the mix must be 0 or more, got \(weight)") }
        }
        guard creates + updates + deletes + renumbers > 0 else { throw DriveConfigurationError("the mix needs a weight above 0") }
    }
}
