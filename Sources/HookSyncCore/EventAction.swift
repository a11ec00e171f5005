/// What a provider said happened to an entity.
public enum EventAction: String, Sendable, Codable, CaseIterable {
    case create
    case update
    case delete
    /// e-conomic: the entity got a new number; the old number is gone (kept in the envelope's extras).
    case renumber
    /// The provider said only that something changed (Kladana workflow webhooks, reconciliation).
    case changed
}

/// The actions of every event merged into one work item, in the order of their last occurrence.
///
/// Coalescing must not lose meaning: a delete that arrives while an update is pending is kept, and a
/// create after that delete is kept too, so the worker can tell "deleted" from "deleted, then re-created".
///
/// ```swift
/// var history = ActionHistory(.update)
/// history.record(.delete)   // [update, delete]
/// history.record(.update)   // [delete, update]
/// history.last              // .update
/// ```
public struct ActionHistory: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Distinct actions, oldest first; each appears once, at the place of its latest occurrence.
    public private(set) var actions: [EventAction]

    public init(_ action: EventAction) {
        actions = [action]
    }

    public init(merging histories: [ActionHistory]) {
        actions = []
        for history in histories {
            for action in history.actions { record(action) }
        }
    }

    /// The most recent action: what the entity's state should be after the work is done.
    public var last: EventAction { actions[actions.count - 1] }

    /// Whether a delete was among the merged events (it may have been followed by a re-create).
    public var includesDelete: Bool { actions.contains(.delete) }

    public mutating func record(_ action: EventAction) {
        actions.removeAll { $0 == action }
        actions.append(action)
    }

    public mutating func record(_ other: ActionHistory) {
        for action in other.actions { record(action) }
    }

    /// The storage form: actions joined by commas, e.g. `update,delete`.
    public var description: String { actions.map(\.rawValue).joined(separator: ",") }

    /// Parses the storage form; `nil` when it names an unknown action or is empty.
    public init?(storageForm: String) {
        var parsed: [EventAction] = []
        for name in storageForm.split(separator: ",") {
            guard let action = EventAction(rawValue: String(name)) else { return nil }
            parsed.append(action)
        }
        guard let first = parsed.first else { return nil }
        self.init(first)
        for action in parsed.dropFirst() { record(action) }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let history = ActionHistory(storageForm: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an action list: \(text)"))
        }
        self = history
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
