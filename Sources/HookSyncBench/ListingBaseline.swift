import Foundation
import HookSyncCore
import HookSyncProviders

/// Reads the whole fake listing the way a client that does nothing with it would: sequential pages of
/// 1,000 over one connection, bodies read and dropped. Its rows/s is the fake's own serving rate, the
/// baseline that reconcile's rows/s is compared with.
///
/// It reads through the transport the providers' clients use, from one event loop as a pass's listing
/// does (`EventLoopTaskExecutor`), so the baseline's client is no slower than the resync's: what the
/// ratio measures is what the resync does beyond fetching pages.
enum ListingBaseline {
    static func run(_ options: [String: String]) async throws {
        guard let base = options["--url"] else { HookSyncBench.fail("listing-baseline needs --url") }
        let rows = options.int("--rows", default: 100_000)
        let transport = AsyncHTTPTransport(connectTimeout: .seconds(5), readTimeout: .seconds(30), maxBodyBytes: 64 << 20)
        let (seconds, bytes) = try await withTaskExecutorPreference(EventLoopTaskExecutor()) {
            let started = ContinuousClock.now
            var bytes = 0
            for page in 0..<((rows + 999) / 1_000) {
                let response = try await transport.send(APIRequest(url: "\(base)/customers?sort=lastUpdated&pagesize=1000&skippages=\(page)"))
                guard response.status == 200 else { HookSyncBench.fail("the listing answered HTTP \(response.status) for page \(page)") }
                bytes += response.body.count
            }
            return ((ContinuousClock.now - started).timeInterval, bytes)
        }
        try await transport.shutdown()
        print(String(format: "baseline %d rows %.2f s %.0f rows/s %d bytes", rows, seconds, Double(rows) / seconds, bytes))
    }
}
