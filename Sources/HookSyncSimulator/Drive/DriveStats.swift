/// What a driver has done so far: changes to the ground truth, and what became of the webhooks
/// announcing them. A delivery is one webhook request (with its retries); a duplicate counts as a
/// delivery of its own.
///
/// When no drive is running: `webhooksIntended - dropped + duplicated == sent` and
/// `sent == delivered + givenUp`.
public struct DriveStats: Sendable, Hashable {
    /// Changes made to the ground truth, silent ones included.
    public var mutations = 0
    /// Changes made by a SoftLedger bulk action, which sends no webhooks.
    public var silent = 0
    /// Changes made by same-time batches (counted in `mutations` too): versions of one entity that
    /// share one modification time.
    public var batched = 0
    /// Changes the provider itself did not announce: Precoro's repeats of one action on one entity
    /// within 30 s.
    public var suppressed = 0
    /// Deliveries the providers meant to send, before any fault.
    public var webhooksIntended = 0
    /// Deliveries not sent, on purpose.
    public var dropped = 0
    /// Deliveries sent a second time, on purpose.
    public var duplicated = 0
    /// Deliveries held back and sent after later ones.
    public var reordered = 0
    /// Deliveries sent (each counted once however often it was tried).
    public var sent = 0
    /// HTTP requests made, retries included.
    public var attempts = 0
    /// Deliveries ingest answered 2xx.
    public var delivered = 0
    /// Deliveries still not answered 2xx after the last retry.
    public var givenUp = 0

    public init() {}

    /// `500 mutations (20 silent), 612 webhooks sent, 98 dropped, 51 duplicated, 0 given up`.
    public var summary: String {
        let silentNote = silent > 0 ? " (\(silent) silent)" : ""
        return "\(mutations) mutations\(silentNote), \(sent) webhooks sent, \(dropped) dropped, \(duplicated) duplicated, \(givenUp) given up"
    }

    /// The counters as `/_sim/stats` shows them.
    var json: JSONValue {
        .object([
            "mutations": .int(Int64(mutations)), "silent": .int(Int64(silent)), "batched": .int(Int64(batched)), "suppressed": .int(Int64(suppressed)),
            "webhooks_intended": .int(Int64(webhooksIntended)), "dropped": .int(Int64(dropped)),
            "duplicated": .int(Int64(duplicated)), "reordered": .int(Int64(reordered)), "sent": .int(Int64(sent)),
            "attempts": .int(Int64(attempts)), "delivered": .int(Int64(delivered)), "given_up": .int(Int64(givenUp)),
        ])
    }
}
