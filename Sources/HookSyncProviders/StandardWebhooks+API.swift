import Foundation
import HookSyncCore

/// The API of a Standard Webhooks sender, described by URL templates in config, since there is no
/// one API for all of them: `fetch_url: "https://api.example.com/{type}/{id}"`, an optional bearer `token`.
///
/// The modification time is read from `updated_at` (or `updatedAt`) when the entity has one.
struct StandardWebhooksAPI: ProviderAPI {
    let source: String
    let fetchTemplate: String
    let listTemplate: String?
    let headers: [String: String]
    let transport: any HTTPTransport
    let now: @Sendable () -> Date

    init(settings: APISettings, transport: any HTTPTransport, now: @escaping @Sendable () -> Date) throws {
        source = settings.source
        fetchTemplate = try settings.required("fetch_url")
        listTemplate = settings["list_url"]
        guard fetchTemplate.contains("{id}") else {
            throw APIConfigurationError("sources[\(settings.source)].api.fetch_url must contain {id}: \(fetchTemplate)")
        }
        var headers = ["Accept": "application/json"]
        if let token = settings["token"] { headers["Authorization"] = "Bearer \(token)" }
        self.headers = headers
        self.transport = transport
        self.now = now
    }

    /// Cursor paging, as `list_url` describes: `{type}`, `{since}` (ISO 8601) and `{cursor}` are
    /// substituted; the answer is `{"data": [...], "next_cursor": "…" | null}`.
    var listingPaging: ListingPaging { .cursor }

    func list(_ query: ListingQuery) async throws -> ListingPage {
        guard let listTemplate else {
            throw ProviderAPIError.rejected("\(source): no api.list_url configured, so there is no listing to reconcile from")
        }
        let url = listTemplate
            .replacingOccurrences(of: "{type}", with: URLPath.segment(query.type))
            .replacingOccurrences(of: "{since}", with: query.since.map { ISOTimestamp.format($0) }.flatMap { $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) } ?? "")
            .replacingOccurrences(of: "{cursor}", with: query.cursor.flatMap { $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) } ?? "")
        let response = try await transport.send(APIRequest(url: url, headers: headers))
        let document = try ListingWire.document(
            response, provider: source, retryAfter: { APIResponseRules.retryAfterHeader($0, now: now()) }, source: source, type: query.type,
            fields: .init(rowsKey: "data", id: "id", modified: ["updated_at", "updatedAt"]), modifiedAt: ISOTimestamp.parse)
        let rows = document.rows
        let next = (document.meta["next_cursor"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        return ListingPage(rows: rows, hasMore: next != nil, nextCursor: next)
    }

    func fetch(_ key: EntityKey, extras: [String: String]) async throws -> FetchResult {
        let url = fetchTemplate
            .replacingOccurrences(of: "{type}", with: URLPath.segment(key.type))
            .replacingOccurrences(of: "{id}", with: URLPath.segment(key.id))
        let response = try await transport.send(APIRequest(url: url, headers: headers))
        return try APIResponseRules.fetchResult(response, provider: key.source, retryAfter: { APIResponseRules.retryAfterHeader($0, now: now()) }) { object in
            ((object["updated_at"] ?? object["updatedAt"]) as? String).flatMap(ISOTimestamp.parse)
        }
    }
}
