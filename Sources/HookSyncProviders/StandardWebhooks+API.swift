import Foundation
import HookSyncCore

/// The API of a Standard Webhooks sender, described by URL templates in config, since there is no
/// one API for all of them: `fetch_url: "https://api.example.com/{type}/{id}"`, an optional bearer `token`.
///
/// The modification time is read from `updated_at` (or `updatedAt`) when the entity has one.
struct StandardWebhooksAPI: ProviderAPI {
    let fetchTemplate: String
    let headers: [String: String]
    let transport: any HTTPTransport
    let now: @Sendable () -> Date

    init(settings: APISettings, transport: any HTTPTransport, now: @escaping @Sendable () -> Date) throws {
        fetchTemplate = try settings.required("fetch_url")
        guard fetchTemplate.contains("{id}") else {
            throw APIConfigurationError("sources[\(settings.source)].api.fetch_url must contain {id}: \(fetchTemplate)")
        }
        var headers = ["Accept": "application/json"]
        if let token = settings["token"] { headers["Authorization"] = "Bearer \(token)" }
        self.headers = headers
        self.transport = transport
        self.now = now
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
