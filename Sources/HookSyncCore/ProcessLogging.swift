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
            var handler = DeferredMetadataLogHandler(StreamLogHandler.standardError(label: label))
            handler.logLevel = level
            return handler
        }
        return Logger(label: label)
    }
}

/// A stream handler that formats its metadata only when a message is written.
///
/// `StreamLogHandler` formats its whole metadata dictionary whenever one key is set. Hummingbird
/// sets a request id on the logger of every request, so the ingest listener formatted metadata on
/// every request for log lines that, below the configured level, were never written, a cost that
/// showed under load (docs/decisions.md#log-metadata-is-formatted-only-when-a-line-is-written). Here
/// the metadata is kept aside and handed to the stream handler with the event.
struct DeferredMetadataLogHandler: LogHandler {
    /// Holds no metadata of its own, so setting none never formats any.
    private var stream: StreamLogHandler
    var metadata: Logger.Metadata = [:]

    init(_ stream: StreamLogHandler) {
        self.stream = stream
    }

    var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        if !metadata.isEmpty {
            event.metadata = metadata.merging(event.metadata ?? [:]) { _, explicit in explicit }
        }
        stream.log(event: event)
    }
}
