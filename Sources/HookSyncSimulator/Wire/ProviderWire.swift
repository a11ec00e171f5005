import Foundation
import HTTPTypes

/// One provider's API as the simulator speaks it: which paths address what, which credentials it
/// accepts, how it prints an entity and a listing page, and how it says "too many requests".
///
/// Each provider's assumptions (docs/providers.md, where the assumed ones are marked) live in its own
/// conforming type, one file each; `ProviderSimulator` runs the same pipeline for all of them
/// (credentials, rate limit, faults, latency, answer), so a corrected wire format is a local change.
protocol ProviderWire: Sendable {
    var provider: SimulatedProvider { get }

    /// What the path segments below the provider's prefix address; `nil` answers 404.
    func route(_ segments: [String]) -> WireRoute?

    /// The entity type a path's type segment names, given the types the provider holds.
    func canonicalType(_ segment: String, among known: [String]) -> String

    /// Why the request's credentials are refused (401), or `nil` when they are accepted.
    func credentialsRefusal(_ headers: HTTPFields) -> String?

    /// A refusal that is the request's own fault rather than a simulated one, e.g. Kladana's 415.
    func requestRefusal(_ headers: HTTPFields) -> WireResponse?

    /// The entity's JSON object. `origin` (`http://host:port`) is the simulator's address, for the
    /// providers whose objects link to themselves.
    func render(_ entity: SimulatedEntity, origin: String) -> JSONValue

    /// One page of the "modified since" listing. `rows` are every live entity of the type, in
    /// `EntityOrder`; the wire applies its own filter and paging. Throws for a malformed query (400).
    func listing(_ rows: [SimulatedEntity], _ request: ListingRequest, origin: String) throws(WireError) -> JSONValue

    /// The provider's own 429.
    func rateLimited(_ wait: RateLimitWait) -> WireResponse

    /// The webhook requests the provider sends for `changes` (changes of one type made at once, in
    /// order), in its own format: one request per change, or several changes in one where the
    /// provider batches them. A change the provider does not announce has no request.
    func webhooks(for changes: [EntityChange], _ context: inout WebhookContext) -> [WebhookDelivery]
}

extension ProviderWire {
    func canonicalType(_ segment: String, among known: [String]) -> String { segment }
    func requestRefusal(_ headers: HTTPFields) -> WireResponse? { nil }

    /// The common `Retry-After: <seconds>` 429.
    func retryAfterSeconds(_ wait: RateLimitWait) -> WireResponse {
        WireResponse(
            status: .tooManyRequests, headers: [.retryAfter: String(wait.retryAfterSeconds)],
            body: .object(["error": .string("rate limit exceeded: \(wait.limit) requests per \(wait.period)")]))
    }
}

/// One stored entity as a wire renders it (a copy taken under the simulator's lock).
struct SimulatedEntity: Sendable {
    var type: String
    var id: String
    var fields: [String: String]
    /// Milliseconds since 1970 (UTC), already at the provider's precision.
    var updatedAt: Int64
    /// Precoro documents: the per-type document number the API addresses them by.
    var idn: Int?
}

/// What a request path addresses, before the simulator resolves it against its entities.
enum WireRoute: Equatable {
    /// One entity; `address` is what the path says (an id, a number, or a Precoro IDN).
    case entity(typeSegment: String, address: String)
    case listing(typeSegment: String)
}

/// An answer in the provider's terms, turned into an HTTP response in one place.
struct WireResponse {
    var status: HTTPResponse.Status
    var headers: HTTPFields = [:]
    var body: JSONValue

    /// `{"error": message}`, the error shape every simulated provider uses.
    static func error(_ status: HTTPResponse.Status, _ message: String) -> WireResponse {
        WireResponse(status: status, body: .object(["error": .string(message)]))
    }
}

/// A listing query that a wire cannot answer: 400 with the message.
struct WireError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// A listing request as a wire sees it: the decoded query and how to link to another page of it.
struct ListingRequest {
    var type: String
    /// Query parameters, percent-decoded; the last of a repeated name wins.
    var parameters: [String: String]
    /// `http://host:port` as the client addressed the simulator (its Host header): paging links
    /// must lead the client back the way it came.
    var requestOrigin: String
    /// The request's path as sent (still percent-encoded).
    var path: String
    /// Rows per page of a cursor-paged listing (Standard Webhooks).
    var cursorPageSize: Int

    /// The absolute URL of this listing with `items` as its query, values percent-encoded as RFC 3986
    /// wants (only unreserved characters left bare).
    func link(_ items: [(String, String)]) -> String {
        var unreserved = CharacterSet.alphanumerics
        unreserved.insert(charactersIn: "-._~")
        let query = items.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value)"
        }.joined(separator: "&")
        return requestOrigin + path + (query.isEmpty ? "" : "?" + query)
    }

    /// A whole-number parameter within `range`, or `fallback` when absent.
    func integer(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws(WireError) -> Int {
        guard let text = parameters[name], !text.isEmpty else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw WireError("\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound), got \(text)")
        }
        return value
    }
}

/// Why and for how long a request was refused by the rate limit, in the simulator's clock.
struct RateLimitWait {
    /// Milliseconds since 1970 when the request arrived.
    var now: Int64
    /// When the oldest admitted request leaves the window, so that the next one is admitted.
    var retryAt: Int64
    /// When every request now in the window has left it.
    var resetAt: Int64
    var limit: Int
    var period: Duration

    /// Whole seconds, rounded up so a client that waits this long is admitted; at least 1.
    var retryAfterSeconds: Int { Int(max(1, (retryAt - now + 999) / 1_000)) }
    /// At least 1.
    var retryAfterMilliseconds: Int64 { max(1, retryAt - now) }
    var resetMilliseconds: Int64 { max(1, resetAt - now) }
}

extension HTTPField.Name {
    static let xAuthToken = Self("X-AUTH-TOKEN")!
    static let email = Self("email")!
    static let xAppSecretToken = Self("X-AppSecretToken")!
    static let xAgreementGrantToken = Self("X-AgreementGrantToken")!
    static let xLognexRetryAfter = Self("X-Lognex-Retry-After")!
    static let xLognexReset = Self("X-Lognex-Reset")!
    static let xRateLimitRemaining = Self("X-RateLimit-Remaining")!
    static let xRateLimitLimit = Self("X-RateLimit-Limit")!
}

extension HTTPFields {
    /// Whether `Authorization` is exactly `Bearer <token>`.
    func hasBearer(_ token: String) -> Bool {
        self[.authorization] == "Bearer \(token)"
    }

    /// The token of `Authorization: Bearer <token>`, if that is what the header holds.
    var bearerToken: String? {
        guard let value = self[.authorization], value.hasPrefix("Bearer ") else { return nil }
        let token = value.dropFirst("Bearer ".count)
        return token.isEmpty ? nil : String(token)
    }
}
