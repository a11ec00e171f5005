import Foundation
import HookSyncCore
import HookSyncProviders

/// The client's side of a listing page, without the network: `ProviderAPI.list` of the e-conomic
/// client over one page of 1,000 rows as `listing-server` serves it, answered from memory, again and
/// again. It is the part of each step of a resync's listing that is not the provider's: every page
/// waits for it before its successor is asked for. One thread, no server, no writer, so its figure
/// holds still where the end-to-end ratio swings.
enum ListingParse {
    /// Answers every request with the same page.
    struct CannedTransport: HTTPTransport {
        let body: Data
        func send(_ request: APIRequest) async throws -> APIResponse {
            APIResponse(status: 200, headers: ["content-type": "application/json"], body: body)
        }
    }

    static func run(_ options: [String: String]) async throws {
        let pages = max(1, options.int("--pages", default: 2_000))
        let body = Data(ListingServer.pageBody(first: 1, pageSize: 1_000, skipPages: 0, rows: 1_000_000, shuffled: false).utf8)
        let settings = APISettings(source: "economic", values: ["base_url": "http://127.0.0.1:9", "app_secret_token": "a", "agreement_grant_token": "g"])
        let api = try ProviderAPIs.make(kind: .economic, settings: settings, transport: CannedTransport(body: body))
        let query = ListingQuery(type: "customer", since: nil, pageSize: 1_000)
        // A first page outside the timing: the code's first run pays for its lazy set-up.
        var rows = try await api.list(query).rows.count
        let started = ContinuousClock.now
        for _ in 0..<pages { rows += try await api.list(query).rows.count }
        let microseconds = (ContinuousClock.now - started).timeInterval * 1e6
        print(String(format: "listing-parse %d pages of 1,000 rows (%d bytes each): %.0f µs a page, %.3f µs a row",
                     pages, body.count, microseconds / Double(pages), microseconds / Double(pages) / 1_000))
        precondition(rows == (pages + 1) * 1_000, "a page lost rows")
    }
}
