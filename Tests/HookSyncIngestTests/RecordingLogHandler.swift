import Foundation
import Logging
import Synchronization

/// A log handler that keeps what it is given, for tests that check what a listener says.
struct RecordingLogHandler: LogHandler {
    final class Records: Sendable {
        private let entries = Mutex<[(level: Logger.Level, message: String)]>([])
        var all: [(level: Logger.Level, message: String)] { entries.withLock { $0 } }
        func append(_ level: Logger.Level, _ message: String) { entries.withLock { $0.append((level, message)) } }
        func contains(_ level: Logger.Level, _ fragment: String) -> Bool {
            all.contains { $0.level == level && $0.message.contains(fragment) }
        }
    }

    let records: Records
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        records.append(event.level, event.message.description)
    }

    static func logger() -> (Logger, Records) {
        let records = Records()
        return (Logger(label: "test") { _ in RecordingLogHandler(records: records) }, records)
    }
}
