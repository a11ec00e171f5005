@testable import HookSyncCore
import Logging
import Synchronization
import Testing

/// The log handler every process uses keeps its metadata aside until a line is written.
@Suite("Process logging")
struct ProcessLoggingTests {
    final class Lines: TextOutputStream, @unchecked Sendable {
        private let text = Mutex("")
        func write(_ string: String) { text.withLock { $0 += string } }
        var written: String { text.withLock { $0 } }
    }

    @Test func writesTheLoggersMetadataWithTheMessagesAndTheMessageWins() {
        let lines = Lines()
        var logger = Logger(label: "test") { _ in
            DeferredMetadataLogHandler(StreamLogHandler(label: "test", stream: lines, metadataProvider: nil))
        }
        logger[metadataKey: "request"] = "r-1"
        logger[metadataKey: "source"] = "from-logger"
        logger.info("stored", metadata: ["source": "from-message", "events": "2"])
        logger.info("plain")

        let written = lines.written.split(separator: "\n")
        #expect(written.count == 2)
        #expect(written.first?.hasSuffix("test: events=2 request=r-1 source=from-message [HookSyncCoreTests] stored") == true)
        #expect(written.last?.hasSuffix("test: request=r-1 source=from-logger [HookSyncCoreTests] plain") == true)
    }

    @Test func writesNothingBelowItsLevel() {
        let lines = Lines()
        var logger = Logger(label: "test") { _ in
            var handler = DeferredMetadataLogHandler(StreamLogHandler(label: "test", stream: lines, metadataProvider: nil))
            handler.logLevel = .error
            return handler
        }
        logger[metadataKey: "request"] = "r-1"
        logger.warning("not written")
        logger.error("written")
        #expect(lines.written.split(separator: "\n").count == 1)
        #expect(logger.logLevel == .error)
    }
}
