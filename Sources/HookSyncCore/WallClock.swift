public import Foundation
import Synchronization

/// Where HookSync reads the time of day that it stores (received-at, run-at, lease expiry).
///
/// A seam so tests can move time: backoff and lease expiry are tested without sleeping.
public protocol WallClock: Sendable {
    var now: Date { get }
}

/// The system's clock.
public struct SystemWallClock: WallClock {
    public init() {}
    public var now: Date { Date() }
}

/// A clock that moves only when told to.
///
/// ```swift
/// let clock = ManualWallClock(Date(timeIntervalSince1970: 1_700_000_000))
/// clock.advance(by: .seconds(31))
/// ```
public final class ManualWallClock: WallClock {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_767_225_600)) {
        current = Mutex(start)
    }

    public var now: Date { current.withLock { $0 } }

    public func advance(by duration: Duration) {
        current.withLock { $0 = $0.addingTimeInterval(duration.timeInterval) }
    }
}

extension Duration {
    /// The duration in seconds, as Foundation counts time.
    public var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
