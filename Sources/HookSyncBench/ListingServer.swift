import Foundation
import Hummingbird
import NIOCore

/// An e-conomic-shaped listing of generated customers, computed per request rather than stored, so
/// that the fake itself costs the same at 100,000 rows as at 1,000,000 and the benchmark measures
/// the client. Customer n (1...rows) was last updated at `epoch + n` seconds: one row per second,
/// sorted by time, as `filter=lastUpdated$gte:…&sort=lastUpdated&skippages=…&pagesize=…` asks.
///
/// `--shuffled-numbers` gives the n-th row a customer number scattered over 1...rows instead of n, as
/// a real listing in modification order is scattered over its ids, so the mirror receives its keys
/// in random order rather than nearly sorted.
enum ListingServer {
    static let epoch = Date(timeIntervalSince1970: 1_700_000_000)

    static func run(_ options: [String: String]) async throws {
        let rows = options.int("--rows", default: 100_000)
        let port = options.int("--port", default: 0)
        let shuffled = options["--shuffled-numbers"] != nil
        let router = Router()
        router.get("/customers") { request, _ -> Response in
            page(request.uri.queryParameters, rows: rows, shuffled: shuffled)
        }
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in
                FileHandle.standardOutput.write(Data("listening on 127.0.0.1:\(channel.localAddress?.port ?? port)\n".utf8))
            })
        try await app.runService()
    }

    /// A bijection of 1...rows that scatters neighbours: multiplication by a prime that does not
    /// divide `rows`, modulo `rows`.
    static func customerNumber(_ n: Int, rows: Int, shuffled: Bool) -> Int {
        guard shuffled else { return n }
        let prime = [1_000_003, 998_244_353, 2_147_483_647].first { rows % $0 != 0 }!
        return (n - 1) * prime % rows + 1
    }

    static func page(_ query: Parameters, rows: Int, shuffled: Bool = false) -> Response {
        let pageSize = min(1_000, max(1, query.get("pagesize", as: Int.self) ?? 20))
        let skipPages = query.get("skippages", as: Int.self) ?? 0
        var first = 1
        if let filter = query.get("filter"), filter.hasPrefix("lastUpdated$gte:"),
           let since = ISO8601DateFormatter().date(from: String(filter.dropFirst("lastUpdated$gte:".count))) {
            first = max(1, Int(since.timeIntervalSince(epoch).rounded(.up)))
        }
        let body = pageBody(first: first, pageSize: pageSize, skipPages: skipPages, rows: rows, shuffled: shuffled)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// The JSON of one page: rows from `first + skipPages * pageSize` on, at most `pageSize` of them.
    static func pageBody(first: Int, pageSize: Int, skipPages: Int, rows: Int, shuffled: Bool) -> String {
        let start = first + skipPages * pageSize
        let end = min(rows, start + pageSize - 1)
        let formatter = ISO8601DateFormatter()
        var body = #"{"collection":["#
        if start <= end {
            for position in start...end {
                if position > start { body += "," }
                let number = customerNumber(position, rows: rows, shuffled: shuffled)
                let updated = formatter.string(from: epoch.addingTimeInterval(TimeInterval(position)))
                body += #"{"customerNumber":\#(number),"name":"Customer \#(number)","currency":"DKK","balance":\#(number % 9_973).25,"lastUpdated":"\#(updated)","self":"https://restapi.e-conomic.com/customers/\#(number)"}"#
            }
        }
        let results = max(0, rows - first + 1)
        let next = end < rows ? #","nextPage":"/customers?skippages=\#(skipPages + 1)""# : ""
        body += #"],"pagination":{"pageSize":\#(pageSize),"skipPages":\#(skipPages),"results":\#(results)\#(next)}}"#
        return body
    }
}
