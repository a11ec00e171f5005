public import Foundation

/// A unit of work: one entity to fetch and sync, standing for one or more coalesced events.
public struct WorkItem: Sendable, Hashable, Identifiable {
    public var id: Int64
    public var key: EntityKey
    public var state: WorkState
    public var actions: ActionHistory
    /// How many accepted events were merged into this item.
    public var eventCount: Int
    /// Failed attempts so far (a 429 wait or a shutdown release does not count).
    public var attempts: Int
    /// Merged extras of the events (later events win on a key clash).
    public var extras: [String: String]
    public var firstEventAt: Date
    public var lastEventAt: Date
    /// The earliest time a worker may claim the item.
    public var runAt: Date
    public var lastError: String?
    public var lease: Lease?

    public init(
        id: Int64, key: EntityKey, state: WorkState, actions: ActionHistory, eventCount: Int, attempts: Int,
        extras: [String: String], firstEventAt: Date, lastEventAt: Date, runAt: Date, lastError: String?, lease: Lease?
    ) {
        self.id = id
        self.key = key
        self.state = state
        self.actions = actions
        self.eventCount = eventCount
        self.attempts = attempts
        self.extras = extras
        self.firstEventAt = firstEventAt
        self.lastEventAt = lastEventAt
        self.runAt = runAt
        self.lastError = lastError
        self.lease = lease
    }
}

/// Where a work item is in its life.
public enum WorkState: String, Sendable, Codable, CaseIterable {
    /// Waiting for a worker; at most one per entity.
    case pending
    /// Leased by a worker; at most one per entity.
    case inFlight = "in_flight"
    case done
    /// Gave up after too many attempts, or a permanent error; waits for a person (`hooksync dead-letters`).
    case dead
    /// Folded into the entity's other pending item, which now does its work.
    case merged
}

/// Proof that a worker holds a work item until `expiresAt`. Every operation on a claimed item
/// presents it, so a worker whose lease expired (and was given to another) cannot complete it.
public struct Lease: Sendable, Hashable {
    public var itemID: Int64
    /// Unique per claim: a stale holder of the same item presents an older token.
    public var token: Int64
    public var owner: String
    public var expiresAt: Date

    public init(itemID: Int64, token: Int64, owner: String, expiresAt: Date) {
        self.itemID = itemID
        self.token = token
        self.owner = owner
        self.expiresAt = expiresAt
    }
}
