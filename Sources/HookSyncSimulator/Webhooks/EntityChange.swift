/// One change to an entity as its provider sees it, the input every provider's webhook format is
/// written from. The driver makes the change to the ground truth first, then describes it here.
struct EntityChange: Sendable, Hashable {
    enum Action: Sendable, Hashable {
        case create
        case update
        case delete
        /// e-conomic only: the entity now lives under `id`; `from` answers 404.
        case renumber(from: String)
    }

    var type: String
    /// HookSync's key: Precoro's `id`, e-conomic's (new) number, Kladana's UUID, SoftLedger's `_id`.
    var id: String
    var action: Action
    /// Milliseconds since 1970 (UTC) by the simulator's clock: when the change happened.
    var at: Int64
    /// Precoro documents: the IDN the API addresses them by, which the webhook carries.
    var idn: Int?
    /// The fields an update set, which Kladana lists in `updatedFields`.
    var updatedFields: [String] = []
}
