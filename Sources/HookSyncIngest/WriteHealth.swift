import Foundation
import Synchronization

/// Whether ingest's writes fail: the last failed write, until a write succeeds. `/readyz` reads it.
///
/// A full disk still lets SQLite take the write lock and commit an empty transaction, so a probe
/// that writes nothing says ready while every delivery gets 503. What the deliveries met is the
/// truth, and it costs `/readyz` nothing to ask.
final class WriteHealth: Sendable {
    struct Failure: Sendable {
        var at: Date
        var error: String
    }

    /// How long a failed write keeps the listener unready when nothing succeeds after it. Then
    /// `/readyz` says ready again, so that a balancer sends deliveries that try the store once more
    /// (and the next failure makes it unready again).
    static let unreadyAfterFailure: TimeInterval = 15

    private let lastFailure = Mutex<Failure?>(nil)

    func succeeded() {
        lastFailure.withLock { if $0 != nil { $0 = nil } }
    }

    func failed(_ error: any Error, at now: Date) {
        lastFailure.withLock { $0 = Failure(at: now, error: "\(error)") }
    }

    /// The failure that makes the listener unready at `now`, if any.
    func recentFailure(at now: Date) -> Failure? {
        lastFailure.withLock { failure in
            guard let failure, now.timeIntervalSince(failure.at) < Self.unreadyAfterFailure else { return nil }
            return failure
        }
    }
}
