import Foundation
public import Logging

/// How every HookSync process logs: to stderr, at the level `$LOG_LEVEL` names (default info).
///
/// ```swift
/// let logger = ProcessLogging.bootstrap(label: "hooksync.worker")   // once, first thing in the process
/// ```
public enum ProcessLogging {
    public static func bootstrap(label: String) -> Logger {
        let level = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: label)
    }
}
