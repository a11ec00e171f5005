import Foundation
import HookSyncCore

/// SoftLedger's API: OAuth2 client credentials, the bearer token cached and refreshed before it expires.
///
/// Entities are addressed as `{base}/{objectType}/{objectId}`, with `objectType` as the webhook spelled
/// it (kept in the event's extras) or else the entity type name.
///
/// ```yaml
/// api: { client_id: "…", client_secret: "${SOFTLEDGER_SECRET}", tenant_uuid: "…", audience: "…" }
/// ```
struct SoftLedgerAPI: ProviderAPI {
    let source: String
    let baseURL: String
    let tokens: OAuthTokenCache
    let transport: any HTTPTransport
    let now: @Sendable () -> Date

    init(settings: APISettings, transport: any HTTPTransport, now: @escaping @Sendable () -> Date) throws {
        source = settings.source
        baseURL = try settings.baseURL()
        let body: [String: String] = [
            "grant_type": "client_credentials", "tenantUUID": try settings.required("tenant_uuid"),
            "audience": try settings.required("audience"), "client_id": try settings.required("client_id"),
            "client_secret": try settings.required("client_secret"),
        ]
        tokens = OAuthTokenCache(
            request: APIRequest(
                method: "POST", url: try settings.baseURL("token_url"), headers: ["Content-Type": "application/json"],
                body: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])),
            transport: transport, now: now)
        self.transport = transport
        self.now = now
    }

    func fetch(_ key: EntityKey, extras: [String: String]) async throws -> FetchResult {
        let objectType = extras["object_type"] ?? key.type
        let url = "\(baseURL)/\(URLPath.segment(objectType))/\(URLPath.segment(key.id))"
        var response = try await send(url)
        if response.status == 401 {
            // A token can be revoked before its stated expiry: get a new one once before calling the
            // credentials refused.
            await tokens.invalidate()
            response = try await send(url)
        }
        return try APIResponseRules.fetchResult(response, provider: "softledger", retryAfter: { APIResponseRules.retryAfterHeader($0, now: now()) }) { object in
            (object["updatedAt"] as? String).flatMap(ISOTimestamp.parse)
        }
    }

    /// SoftLedger v1 pages with `limit` and `offset`; the `where` filter on `updatedAt` is unverified
    /// (docs/providers.md), so it is the one place to change if the real API differs.
    var listingPaging: ListingPaging { .offset(maxPageSize: 1_000) }

    func list(_ query: ListingQuery) async throws -> ListingPage {
        let limit = min(query.pageSize, 1_000)
        let offset = query.page * limit
        let url = ListingWire.url("\(baseURL)/\(URLPath.segment(query.type))", [
            ("where", query.since.map { #"{"updatedAt":{"$gte":"\#(ISOTimestamp.format($0))"}}"# }),
            ("limit", String(limit)), ("offset", String(offset)),
        ])
        var response = try await send(url)
        if response.status == 401 {
            await tokens.invalidate()
            response = try await send(url)
        }
        let document = try ListingWire.document(
            response, provider: "softledger", retryAfter: { APIResponseRules.retryAfterHeader($0, now: now()) }, source: source, type: query.type,
            fields: .init(rowsKey: "data", id: "_id", modified: ["updatedAt"]), modifiedAt: ISOTimestamp.parse)
        let rows = document.rows
        let total = ListingWire.int(document.meta["totalItems"])
        return ListingPage(rows: rows, hasMore: total.map { offset + rows.count < $0 } ?? (rows.count == limit), total: total)
    }

    private func send(_ url: String) async throws -> APIResponse {
        let token = try await tokens.token()
        return try await transport.send(APIRequest(url: url, headers: ["Authorization": "Bearer \(token)", "Accept": "application/json"]))
    }
}

/// One OAuth2 client-credentials token, shared by every fetch of a source and renewed before it expires.
/// Concurrent callers during a renewal wait for the same request rather than each asking for a token.
actor OAuthTokenCache {
    private let request: APIRequest
    private let transport: any HTTPTransport
    private let now: @Sendable () -> Date
    private var current: (token: String, renewAt: Date)?
    private var renewal: Task<(token: String, renewAt: Date), any Error>?

    init(request: APIRequest, transport: any HTTPTransport, now: @escaping @Sendable () -> Date) {
        self.request = request
        self.transport = transport
        self.now = now
    }

    func token() async throws -> String {
        if let current, now() < current.renewAt { return current.token }
        if let renewal { return try await renewal.value.token }
        let task = Task { [request, transport, now] in try await Self.requestToken(request, transport: transport, now: now()) }
        renewal = task
        defer { renewal = nil }
        let fresh = try await task.value
        current = fresh
        return fresh.token
    }

    func invalidate() {
        current = nil
    }

    private static func requestToken(_ request: APIRequest, transport: any HTTPTransport, now: Date) async throws -> (token: String, renewAt: Date) {
        let response = try await transport.send(request)
        try APIResponseRules.check(response, provider: "softledger token", retryAfter: { APIResponseRules.retryAfterHeader($0, now: now) })
        guard let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any],
              let token = object["access_token"] as? String, !token.isEmpty
        else { throw ProviderAPIError.rejected("softledger token: no access_token in \(response.bodyText)") }
        let lifetime = (object["expires_in"] as? NSNumber)?.doubleValue ?? 3_600
        // Renew when 90% of the lifetime (at most a minute before expiry) has passed, so a fetch never
        // presents a token that expires on its way.
        let margin = min(60, lifetime * 0.1)
        return (token, now.addingTimeInterval(max(0, lifetime - margin)))
    }
}
