import HookSyncCore
import Synchronization

/// The changes a drive makes to the ground truth, each taken under the simulator's lock in one step
/// (choose the entity, change it, describe the change), so concurrent API requests see the truth
/// either before or after a change, never half of one.
extension ProviderSimulator {
    /// The kinds of change a drive makes.
    enum MutationKind: Sendable, Hashable {
        case create
        case update
        case delete
        case renumber
    }

    /// Makes one change of `kind` to an entity of `type` and says what the provider saw.
    ///
    /// An update, delete or renumber of a type with no live entity becomes a create. A Precoro delete
    /// is a cancellation (an update of its status): Precoro deletes nothing. Only e-conomic renumbers;
    /// elsewhere a renumber becomes an update.
    func mutate(_ provider: SimulatedProvider, type: String, kind: MutationKind, random: inout SeededGenerator) -> EntityChange {
        let at = Self.milliseconds(now())
        return state.withLock { state in
            let key = TypeKey(provider: provider, type: type)
            let live = (state.tables[key] ?? [:]).filter { !$0.value.deleted }.keys.sorted(by: EntityOrder.idPrecedes)
            var kind = kind
            if kind == .renumber, provider != .economic { kind = .update }
            if kind == .delete, provider == .precoro { kind = .update }
            guard !live.isEmpty || kind == .create else {
                return Self.create(provider, key, at: at, state: &state, random: &random)
            }
            switch kind {
            case .create:
                return Self.create(provider, key, at: at, state: &state, random: &random)
            case .update:
                let id = live[Int(random.next() % UInt64(live.count))]
                return Self.update(EntityRef(provider: provider, type: type, id: id), at: at, state: &state, random: &random)
            case .delete:
                let id = live[Int(random.next() % UInt64(live.count))]
                state.delete(EntityRef(provider: provider, type: type, id: id))
                return EntityChange(type: type, id: id, action: .delete, at: at, idn: nil)
            case .renumber:
                let old = live[Int(random.next() % UInt64(live.count))]
                let new = Self.unusedID(provider, key, state: state, random: &random)
                state.renumber(from: EntityRef(provider: provider, type: type, id: old), to: EntityRef(provider: provider, type: type, id: new), now: at)
                let stamped = state.record(EntityRef(provider: provider, type: type, id: new))?.updatedAt ?? at
                return EntityChange(type: type, id: new, action: .renumber(from: old), at: stamped, idn: nil)
            }
        }
    }

    private static func create(
        _ provider: SimulatedProvider, _ key: TypeKey, at: Int64, state: inout SimulatorState, random: inout SeededGenerator
    ) -> EntityChange {
        let id = unusedID(provider, key, state: state, random: &random)
        var fields = SimulatorDataset.businessFields(random: &random)
        fields["name"] = "\(key.type) \(id)"
        let record = state.upsert(EntityRef(provider: provider, type: key.type, id: id), fields: fields, explicitTime: nil, now: at)
        return EntityChange(type: key.type, id: id, action: .create, at: record.updatedAt, idn: record.idn)
    }

    /// One change of a batch (an e-conomic bulk edit, a Kladana batch): an update of entity `id`, or
    /// of a live one drawn at random when `id` is `nil` (a create when there is none), stamped
    /// `batchTime`, or `now` when that is `nil`. A batch passes the first change's `id` and `at` to
    /// the rest, so all its changes share one modification time, whatever the provider's precision.
    func batchUpdate(_ provider: SimulatedProvider, type: String, id: String?, batchTime: Int64?, random: inout SeededGenerator) -> EntityChange {
        let at = Self.milliseconds(now())
        return state.withLock { state in
            let key = TypeKey(provider: provider, type: type)
            let live = (state.tables[key] ?? [:]).filter { !$0.value.deleted }.keys.sorted(by: EntityOrder.idPrecedes)
            guard let id = id ?? (live.isEmpty ? nil : live[Int(random.next() % UInt64(live.count))]) else {
                return Self.create(provider, key, at: at, state: &state, random: &random)
            }
            return Self.update(EntityRef(provider: provider, type: type, id: id), at: at, explicitTime: batchTime, state: &state, random: &random)
        }
    }

    /// New status and amount, the name kept; a Precoro "delete" lands here as a cancellation.
    private static func update(_ ref: EntityRef, at: Int64, explicitTime: Int64? = nil, state: inout SimulatorState, random: inout SeededGenerator) -> EntityChange {
        var fields = state.record(ref)?.fields ?? [:]
        for (name, value) in SimulatorDataset.businessFields(random: &random) { fields[name] = value }
        let record = state.upsert(ref, fields: fields, explicitTime: explicitTime, now: at)
        return EntityChange(type: ref.type, id: ref.id, action: .update, at: record.updatedAt, idn: record.idn, updatedFields: ["amount", "status"])
    }

    /// The next id in the provider's style that the type has never used (deleted ids included, as
    /// providers do not reuse them).
    private static func unusedID(_ provider: SimulatedProvider, _ key: TypeKey, state: SimulatorState, random: inout SeededGenerator) -> String {
        var ordinal = (state.tables[key]?.count ?? 0) + 1
        while true {
            let id = SimulatorDataset.id(provider, ordinal: ordinal, random: &random)
            if state.tables[key]?[id] == nil { return id }
            ordinal += 1
        }
    }
}
