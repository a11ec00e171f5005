import Foundation
import HookSyncCore

/// Kladana's JSON API 1.2: bearer token; `Accept-Encoding: gzip` is mandatory (it answers 415 without).
///
/// A 429 says how long to wait in `X-Lognex-Retry-After`, in milliseconds. Times are Moscow time.
///
/// ```yaml
/// api: { base_url: "https://api.kladana.com/api/remap/1.2", token: "${KLADANA_API_TOKEN}" }
/// ```
struct KladanaAPI: ProviderAPI {
    let source: String
    let baseURL: String
    let headers: [String: String]
    let transport: any HTTPTransport

    init(settings: APISettings, transport: any HTTPTransport) throws {
        source = settings.source
        baseURL = try settings.baseURL()
        headers = ["Authorization": "Bearer \(try settings.required("token"))", "Accept-Encoding": "gzip", "Accept": "application/json"]
        self.transport = transport
    }

    func fetch(_ key: EntityKey, extras: [String: String]) async throws -> FetchResult {
        let url = "\(baseURL)/entity/\(URLPath.segment(key.type))/\(URLPath.segment(key.id))"
        let response = try await transport.send(APIRequest(url: url, headers: headers))
        return try APIResponseRules.fetchResult(response, provider: "kladana", retryAfter: Self.retryAfter) { object in
            (object["updated"] as? String).flatMap(Kladana.parseMoscowTime)
        }
    }

    /// Kladana pages with `offset` and `limit` (at most 1000); the filter is in Moscow time. The
    /// answer's `meta.nextHref` is not followed: the next request is built here, against the configured
    /// host only.
    var listingPaging: ListingPaging { .offset(maxPageSize: 1_000) }

    func list(_ query: ListingQuery) async throws -> ListingPage {
        let limit = min(query.pageSize, 1_000)
        let url = ListingWire.url("\(baseURL)/entity/\(URLPath.segment(query.type))", [
            ("filter", query.since.map { "updated>=\(Kladana.formatMoscowTime($0))" }), ("order", "updated,asc"),
            ("limit", String(limit)), ("offset", String(query.page * limit)),
        ])
        let response = try await transport.send(APIRequest(url: url, headers: headers))
        let document = try ListingWire.document(
            response, provider: "kladana", retryAfter: Self.retryAfter, source: source, type: query.type,
            fields: .init(rowsKey: "rows", id: "id", modified: ["updated"]), modifiedAt: Kladana.parseMoscowTime)
        let rows = document.rows
        let meta = document.meta["meta"] as? [String: Any]
        return ListingPage(rows: rows, hasMore: meta?["nextHref"] is String, total: ListingWire.int(meta?["size"]))
    }

    static func retryAfter(_ response: APIResponse) -> Duration? {
        if let milliseconds = response.headers["x-lognex-retry-after"].flatMap({ Int64($0.trimmingCharacters(in: .whitespaces)) }) {
            return .milliseconds(max(0, milliseconds))
        }
        return APIResponseRules.retryAfterHeader(response, now: Date())
    }
}
