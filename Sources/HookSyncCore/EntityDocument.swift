public import Foundation

/// One entity as a JSON line, the shape `hooksync mirror export` prints and the HTTP and exec sinks
/// send: `source`, `type`, `id`, `deleted`, `remote_modified_at`, `observed_at`, `synced_at`, `data`
/// (plus `actions` when the line describes a sync caused by webhooks). `observed_at` is when the copy
/// was received from the provider: of two copies with the same `remote_modified_at`, the one observed
/// later is the newer. Its keys sorted, times ISO 8601 UTC with
/// milliseconds. `data` is the provider's JSON as the mirror holds it, on one line: its own keys in the
/// provider's order and its numbers and strings byte for byte, so an amount is never rounded through a
/// `Double` on its way out.
///
/// ```swift
/// let line = EntityDocument(key: key, deleted: false, remoteModifiedAt: modified, syncedAt: now, data: json).jsonLine()
/// ```
public struct EntityDocument: Sendable, Hashable {
    public var key: EntityKey
    public var deleted: Bool
    public var remoteModifiedAt: Date?
    public var syncedAt: Date?
    /// When the copy was received from the provider (`SyncRecord.observedAt`); left out when `nil`.
    public var observedAt: Date?
    /// The provider's JSON object; `nil` when deleted.
    public var data: Data?
    public var actions: ActionHistory?

    public init(
        key: EntityKey, deleted: Bool, remoteModifiedAt: Date?, observedAt: Date? = nil, syncedAt: Date?, data: Data?, actions: ActionHistory? = nil
    ) {
        self.key = key
        self.deleted = deleted
        self.remoteModifiedAt = remoteModifiedAt
        self.observedAt = observedAt
        self.syncedAt = syncedAt
        self.data = data
        self.actions = actions
    }

    public init(_ record: SyncRecord) {
        switch record.change {
        case .live(let json, let modified):
            self.init(key: record.key, deleted: false, remoteModifiedAt: modified, observedAt: record.observedAt, syncedAt: record.syncedAt,
                      data: json, actions: record.actions)
        case .deleted:
            self.init(key: record.key, deleted: true, remoteModifiedAt: nil, observedAt: record.observedAt, syncedAt: record.syncedAt,
                      data: nil, actions: record.actions)
        }
    }

    /// The document as one line of JSON, written directly: `JSONSerialization` (parsing `data`,
    /// sorting keys with a locale-aware comparison) was most of what `mirror export` cost
    /// (docs/decisions.md#entity-documents-are-written-directly).
    public func jsonLine() -> String {
        let compactData = data.flatMap { JSONByteScanner.compacted(Array($0)) }
        var line = ""
        line.reserveCapacity(160 + (compactData?.count ?? 0))
        line += "{"
        if let actions {
            line += #""actions":["#
            for (index, action) in actions.actions.enumerated() {
                if index > 0 { line += "," }
                JSONStringLiteral.append(action.rawValue, to: &line)
            }
            line += "],"
        }
        // Stored data that is not JSON (never written by HookSync itself) is shown as null, not
        // passed on to break the line.
        line += #""data":"# + (compactData.map { String(decoding: $0, as: UTF8.self) } ?? "null")
        line += #","deleted":"# + (deleted ? "true" : "false")
        line += #","id":"#
        JSONStringLiteral.append(key.id, to: &line)
        if let observedAt {
            line += #","observed_at":"#
            JSONStringLiteral.append(Self.timestamp(observedAt), to: &line)
        }
        line += #","remote_modified_at":"#
        if let remoteModifiedAt { JSONStringLiteral.append(Self.timestamp(remoteModifiedAt), to: &line) } else { line += "null" }
        line += #","source":"#
        JSONStringLiteral.append(key.source, to: &line)
        if let syncedAt {
            line += #","synced_at":"#
            JSONStringLiteral.append(Self.timestamp(syncedAt), to: &line)
        }
        line += #","type":"#
        JSONStringLiteral.append(key.type, to: &line)
        line += "}"
        return line
    }

    public static func timestamp(_ date: Date) -> String {
        CivilTime.formatISO8601(date, milliseconds: true)
    }
}
