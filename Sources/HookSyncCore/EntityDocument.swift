public import Foundation

/// One entity as a JSON line, the shape `hooksync mirror export` prints and the HTTP and exec sinks
/// send: `source`, `type`, `id`, `deleted`, `remote_modified_at`, `synced_at`, `data` (plus `actions`
/// when the line describes a sync caused by webhooks). Keys sorted, times ISO 8601 UTC with milliseconds.
///
/// ```swift
/// let line = EntityDocument(key: key, deleted: false, remoteModifiedAt: modified, syncedAt: now, data: json).jsonLine()
/// ```
public struct EntityDocument: Sendable, Hashable {
    public var key: EntityKey
    public var deleted: Bool
    public var remoteModifiedAt: Date?
    public var syncedAt: Date?
    /// The provider's JSON object; `nil` when deleted.
    public var data: Data?
    public var actions: ActionHistory?

    public init(key: EntityKey, deleted: Bool, remoteModifiedAt: Date?, syncedAt: Date?, data: Data?, actions: ActionHistory? = nil) {
        self.key = key
        self.deleted = deleted
        self.remoteModifiedAt = remoteModifiedAt
        self.syncedAt = syncedAt
        self.data = data
        self.actions = actions
    }

    public init(_ record: SyncRecord) {
        switch record.change {
        case .live(let json, let modified):
            self.init(key: record.key, deleted: false, remoteModifiedAt: modified, syncedAt: record.syncedAt, data: json, actions: record.actions)
        case .deleted:
            self.init(key: record.key, deleted: true, remoteModifiedAt: nil, syncedAt: record.syncedAt, data: nil, actions: record.actions)
        }
    }

    /// The object as Foundation JSON values, `data` parsed so it nests as an object.
    public func object() -> [String: Any] {
        var object: [String: Any] = [
            "source": key.source, "type": key.type, "id": key.id, "deleted": deleted,
            "remote_modified_at": remoteModifiedAt.map(Self.timestamp) ?? NSNull(),
            "data": data.flatMap { try? JSONSerialization.jsonObject(with: $0, options: [.fragmentsAllowed]) } ?? NSNull(),
        ]
        if let syncedAt { object["synced_at"] = Self.timestamp(syncedAt) }
        if let actions { object["actions"] = actions.actions.map(\.rawValue) }
        return object
    }

    public func jsonLine() -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object(), options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    public static func timestamp(_ date: Date) -> String {
        CivilTime.formatISO8601(date, milliseconds: true)
    }
}
