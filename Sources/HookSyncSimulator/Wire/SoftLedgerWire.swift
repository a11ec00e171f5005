import HookSyncCore
import Foundation
import HTTPTypes
import Synchronization

/// SoftLedger's API as HookSync assumes it (docs/providers.md): OAuth2 client credentials at
/// `/softledger/oauth/token`, then `Authorization: Bearer` until the token's TTL runs out; objects
/// addressed as `{objectType}/{id}`, the object type matched to the entity type ignoring case and
/// `_`; `updatedAt` in ISO 8601 UTC with milliseconds; listings paged by `offset`/`limit` with a
/// `where` filter on `updatedAt`; a 429 with `Retry-After` in seconds.
///
/// ```
/// POST /softledger/oauth/token {"grant_type": "client_credentials", "tenantUUID", "audience", "client_id", "client_secret"}
///                                        → {"access_token", "token_type": "Bearer", "expires_in": 3600}
/// GET /softledger/api/LedgerAccount/17   → {"_id": 17, "updatedAt": "2026-01-02T03:04:05.678Z", …}
/// GET /softledger/api/ledger_account?where={"updatedAt":{"$gte":"2026-01-01T00:00:00Z"}}&limit=100&offset=0
///                                        → {"totalItems": 250, "data": […]}
/// ```
struct SoftLedgerWire: ProviderWire {
    static let maxLimit = 1_000
    /// Where the token endpoint is mounted (outside `pathPrefix`, as the real one is on another host).
    static let tokenPath = "/softledger/oauth/token"

    let credentials: SimulatorCredentials
    let tokens: SoftLedgerTokens

    var provider: SimulatedProvider { .softledger }

    func route(_ segments: [String]) -> WireRoute? {
        switch segments.count {
        case 1: .listing(typeSegment: segments[0])
        case 2: .entity(typeSegment: segments[0], address: segments[1])
        default: nil
        }
    }

    /// Webhooks and URLs spell object types `LedgerAccount`, HookSync `ledger_account`: both name it.
    func canonicalType(_ segment: String, among known: [String]) -> String {
        let wanted = Self.normalized(segment)
        return known.sorted().first { Self.normalized($0) == wanted } ?? segment
    }

    func credentialsRefusal(_ headers: HTTPFields) -> String? {
        guard let token = headers.bearerToken else { return "missing bearer token" }
        return tokens.refusal(of: token)
    }

    func render(_ entity: SimulatedEntity, origin: String) -> JSONValue {
        .entity(fields: entity.fields, overlay: [
            "_id": .identifier(entity.id), "updatedAt": .string(WireTime.iso(entity.updatedAt, fraction: true)),
        ])
    }

    func listing(_ rows: [SimulatedEntity], _ request: ListingRequest, origin: String) throws(WireError) -> JSONValue {
        var matching = rows[...]
        if let text = request.parameters["where"], !text.isEmpty {
            let since = try Self.updatedSince(text)
            matching = matching.drop { $0.updatedAt < since }
        }
        let limit = try request.integer("limit", default: 100, in: 1...Self.maxLimit)
        let offset = try request.integer("offset", default: 0, in: 0...Int(Int32.max))
        let page = matching.dropFirst(offset).prefix(limit)
        return .object(["totalItems": .int(Int64(matching.count)), "data": .array(page.map { render($0, origin: origin) })])
    }

    func rateLimited(_ wait: RateLimitWait) -> WireResponse { retryAfterSeconds(wait) }

    /// The token endpoint: checks the client-credentials request and issues a token good for the
    /// configured TTL.
    func tokenResponse(body: [UInt8]) -> WireResponse {
        struct TokenRequest: Decodable {
            var grant_type: String?
            var tenantUUID: String?
            var audience: String?
            var client_id: String?
            var client_secret: String?
        }
        guard let request = try? JSONDecoder().decode(TokenRequest.self, from: Data(body)) else {
            return .error(.badRequest, "invalid_request: the body must be a JSON object")
        }
        guard request.grant_type == "client_credentials" else {
            return .error(.badRequest, "unsupported_grant_type: \(request.grant_type ?? "none")")
        }
        guard request.client_id == credentials.softledgerClientID, request.client_secret == credentials.softledgerClientSecret,
              request.tenantUUID == credentials.softledgerTenant, request.audience == credentials.softledgerAudience
        else { return .error(.unauthorized, "access_denied: unknown client, secret, tenant or audience") }
        let token = tokens.issue(lifetime: credentials.softledgerTokenTTL)
        return WireResponse(status: .ok, body: .object([
            "access_token": .string(token), "token_type": .string("Bearer"),
            "expires_in": .int(credentials.softledgerTokenTTL.components.seconds),
        ]))
    }

    private static func normalized(_ type: String) -> String {
        type.lowercased().replacingOccurrences(of: "_", with: "")
    }

    /// The `$gte` bound of `{"updatedAt": {"$gte": "<ISO 8601>"}}`, the only filter the simulator knows.
    private static func updatedSince(_ text: String) throws(WireError) -> Int64 {
        let refusal = WireError(#"the simulator understands only where={"updatedAt":{"$gte":"<ISO 8601 time>"}}, got "# + text)
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any], object.count == 1,
              let condition = object["updatedAt"] as? [String: Any], condition.count == 1,
              let bound = condition["$gte"] as? String, let since = WireTime.parseISO(bound)
        else { throw refusal }
        return since
    }
}

/// The access tokens SoftLedger's token endpoint has issued and when each expires, by the
/// simulator's clock. Tokens come from a seeded generator, so a run's tokens are reproducible.
final class SoftLedgerTokens: Sendable {
    private struct State {
        var expiries: [String: Int64] = [:]
        var requests = 0
        var random: SeededGenerator
    }

    private let state: Mutex<State>
    private let now: @Sendable () -> Int64

    init(seed: UInt64, now: @escaping @Sendable () -> Int64) {
        // A different stream from the fault decisions', so issuing a token does not shift which
        // requests fail.
        state = Mutex(State(random: SeededGenerator(seed: seed ^ 0x5EED_70CE_4E00_0000)))
        self.now = now
    }

    var requestCount: Int { state.withLock { $0.requests } }

    func countRequest() {
        state.withLock { $0.requests += 1 }
    }

    func issue(lifetime: Duration) -> String {
        let issuedAt = now()
        let lifetimeMilliseconds = lifetime.components.seconds * 1_000 + lifetime.components.attoseconds / 1_000_000_000_000_000
        return state.withLock { state in
            state.expiries = state.expiries.filter { $0.value > issuedAt }
            let token = "sl-" + state.random.hex(32)
            state.expiries[token] = issuedAt + lifetimeMilliseconds
            return token
        }
    }

    /// `nil` for a token that is issued and not yet expired.
    func refusal(of token: String) -> String? {
        let at = now()
        return state.withLock { state in
            guard let expiry = state.expiries[token] else { return "unknown access token" }
            return at < expiry ? nil : "access token expired"
        }
    }
}
