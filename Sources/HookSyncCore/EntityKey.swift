/// Names one entity at one source: the unit that webhooks talk about and that the queue coalesces on.
///
/// ```swift
/// let key = EntityKey(source: "precoro", type: "invoice", id: "123456")
/// ```
public struct EntityKey: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The configured source name (the URL segment of `/hooks/{source}`), not the provider kind.
    public var source: String
    /// The entity type's stable snake_case name, e.g. `invoice`, `customer`, `customerorder`.
    public var type: String
    /// The provider's identifier of the entity, kept as text whatever the provider's type.
    public var id: String

    public init(source: String, type: String, id: String) {
        self.source = source
        self.type = type
        self.id = id
    }

    public var description: String { "\(source)/\(type)/\(id)" }
}
