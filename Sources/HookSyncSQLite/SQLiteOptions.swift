/// How HookSync opens its SQLite file.
///
/// ```swift
/// let options = SQLiteOptions(synchronous: .normal, busyTimeout: .seconds(5))
/// ```
public struct SQLiteOptions: Sendable, Hashable {
    /// `full` (the default) makes every commit durable against power loss before `enqueue` returns;
    /// `normal` only against a crash of the process, and is faster.
    public var synchronous: Synchronous
    /// How long a writer waits for another process's write transaction before giving up.
    /// Long enough that a busy database slows callers down rather than failing them.
    public var busyTimeout: Duration

    public enum Synchronous: String, Sendable, Hashable, CaseIterable {
        case full = "FULL"
        case normal = "NORMAL"
    }

    public init(synchronous: Synchronous = .full, busyTimeout: Duration = .seconds(5)) {
        self.synchronous = synchronous
        self.busyTimeout = busyTimeout
    }
}
