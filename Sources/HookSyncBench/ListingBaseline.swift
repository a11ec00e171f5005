import AsyncHTTPClient
import Foundation
import HookSyncCore
import NIOCore

/// Reads the whole fake listing the way a client that does nothing with it would: sequential pages of
/// 1,000 over one connection, bodies read and dropped. Its rows/s is the fake's own serving rate, the
/// baseline that reconcile's rows/s is compared with.
enum ListingBaseline {
    static func run(_ options: [String: String]) async throws {
        guard let base = options["--url"] else { HookSyncBench.fail("listing-baseline needs --url") }
        let rows = options.int("--rows", default: 100_000)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let started = ContinuousClock.now
        var bytes = 0
        for page in 0..<((rows + 999) / 1_000) {
            let request = HTTPClientRequest(url: "\(base)/customers?sort=lastUpdated&pagesize=1000&skippages=\(page)")
            let response = try await client.execute(request, timeout: .seconds(30))
            bytes += try await response.body.collect(upTo: 64 << 20).readableBytes
        }
        let seconds = (ContinuousClock.now - started).timeInterval
        try await client.shutdown()
        print(String(format: "baseline %d rows %.2f s %.0f rows/s %d bytes", rows, seconds, Double(rows) / seconds, bytes))
    }
}
