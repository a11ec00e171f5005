public import Foundation
public import HookSyncCore

/// A provider's REST API as HookSync needs it: fetch one entity's current state (the worker), and
/// list what changed since a time (reconciliation).
///
/// There is one implementation per provider kind, next to its webhook parser; each keeps the
/// provider's wire assumptions (paths, auth headers, time formats, rate-limit signals) in one place.
/// Errors are always `ProviderAPIError`, so the worker decides retry, wait or circuit from the case
/// alone.
///
/// ```swift
/// let api = try ProviderAPIs.make(kind: .economic, settings: settings, transport: transport)
/// let change: SyncRecord.Change = switch try await api.fetch(key, extras: item.extras) {
/// case .found(let entity): .live(json: entity.json, remoteModifiedAt: entity.remoteModifiedAt)
/// case .gone: .deleted
/// }
/// try await sink.write([SyncRecord(key: key, change: change, syncedAt: Date())])
/// ```
public protocol ProviderAPI: Sendable {
    /// The entity's current state upstream. Throws `ProviderAPIError`.
    func fetch(_ key: EntityKey, extras: [String: String]) async throws -> FetchResult

    /// Entities that the event behind `extras` says no longer exist under their old identity (the old
    /// number of an e-conomic renumber). The worker tombstones them.
    func supersededKeys(of key: EntityKey, actions: ActionHistory, extras: [String: String]) -> [EntityKey]

    /// How the provider's "modified since" listing pages.
    var listingPaging: ListingPaging { get }

    /// One page of entities of `query.type` modified at or after `query.since`, oldest first. Throws `ProviderAPIError`.
    func list(_ query: ListingQuery) async throws -> ListingPage
}

extension ProviderAPI {
    public func supersededKeys(of key: EntityKey, actions: ActionHistory, extras: [String: String]) -> [EntityKey] { [] }
}

/// What a fetch found.
public enum FetchResult: Sendable, Hashable {
    case found(FetchedEntity)
    /// The provider answered 404 (or 410): the entity no longer exists.
    case gone
}

/// One entity as the provider's API returned it.
public struct FetchedEntity: Sendable, Hashable {
    /// The JSON object, exactly as received.
    public var json: Data
    /// The provider's own modification time, when the object carries one; the mirror never lets an
    /// older copy replace a newer one by it.
    public var remoteModifiedAt: Date?

    public init(json: Data, remoteModifiedAt: Date?) {
        self.json = json
        self.remoteModifiedAt = remoteModifiedAt
    }
}

/// Why a provider call did not produce an answer, sorted by what the worker must do about it.
public enum ProviderAPIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// 429: wait `retryAfter` (the provider's own signal, if it gave one) and slow down. Not a failed attempt.
    case rateLimited(retryAfter: Duration?, detail: String)
    /// 401 or 403: the source's credentials are refused. Pause the source; not the item's fault.
    case unauthorized(status: Int, detail: String)
    /// 5xx, timeout, connection failure: try again later with backoff.
    case transient(String)
    /// Any other refusal (a 4xx, an answer that is not the expected JSON): counted as a failed attempt,
    /// so it ends in the dead-letter list with this message if it persists.
    case rejected(String)
    /// The item cannot be fetched as it stands (a Precoro document whose events carried no idn): no
    /// attempt would differ, so it goes to the dead-letter list at once. Reconcile's listing still
    /// brings the entity in.
    case unfetchable(String)

    public var description: String {
        switch self {
        case .rateLimited(let retryAfter, let detail):
            "rate limited (429)" + (retryAfter.map { ", retry after \(Int($0.timeInterval * 1000)) ms" } ?? "") + ": \(detail)"
        case .unauthorized(let status, let detail): "credentials refused (\(status)): \(detail)"
        case .transient(let detail): detail
        case .rejected(let detail): detail
        case .unfetchable(let detail): detail
        }
    }
}

/// An HTTP request to a provider, before any transport sees it.
public struct APIRequest: Sendable, Hashable {
    public var method: String
    public var url: String
    public var headers: [String: String]
    public var body: Data?

    public init(method: String = "GET", url: String, headers: [String: String] = [:], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// A provider's answer: status, headers (names lowercased) and the whole body.
public struct APIResponse: Sendable, Hashable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var bodyText: String { String(decoding: body.prefix(300), as: UTF8.self) }
}

/// Sends provider requests. Production uses `AsyncHTTPTransport`; a failure to get any answer
/// (timeout, refused connection) is thrown as `ProviderAPIError.transient`.
public protocol HTTPTransport: Sendable {
    func send(_ request: APIRequest) async throws -> APIResponse
}

/// The status-code rules every provider shares; each provider adds how it signals a rate limit.
enum APIResponseRules {
    /// Throws the `ProviderAPIError` a non-2xx answer means. 404 is left to the caller.
    static func check(_ response: APIResponse, provider: String, retryAfter: (APIResponse) -> Duration?) throws {
        switch response.status {
        case 200..<300: return
        case 429:
            throw ProviderAPIError.rateLimited(retryAfter: retryAfter(response), detail: "\(provider): \(response.bodyText)")
        case 401, 403:
            throw ProviderAPIError.unauthorized(status: response.status, detail: "\(provider): \(response.bodyText)")
        case 408, 500..<600:
            throw ProviderAPIError.transient("\(provider): HTTP \(response.status): \(response.bodyText)")
        default:
            throw ProviderAPIError.rejected("\(provider): HTTP \(response.status): \(response.bodyText)")
        }
    }

    /// The standard `Retry-After` header: delay-seconds or an HTTP date.
    static func retryAfterHeader(_ response: APIResponse, now: Date) -> Duration? {
        guard let value = response.headers["retry-after"]?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(value) { return .milliseconds(Int64(max(0, seconds) * 1000)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .milliseconds(Int64(max(0, date.timeIntervalSince(now)) * 1000))
    }

    /// Fetch answers share this: 404/410 mean gone, 2xx must be a JSON object.
    static func fetchResult(
        _ response: APIResponse, provider: String, retryAfter: (APIResponse) -> Duration?, modifiedAt: ([String: Any]) -> Date?
    ) throws -> FetchResult {
        if response.status == 404 || response.status == 410 { return .gone }
        try check(response, provider: provider, retryAfter: retryAfter)
        guard let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] else {
            throw ProviderAPIError.rejected("\(provider): the entity is not a JSON object: \(response.bodyText)")
        }
        return .found(FetchedEntity(json: response.body, remoteModifiedAt: modifiedAt(object)))
    }
}

/// Settings of one source's `api:` section, with the error a missing one deserves.
public struct APISettings: Sendable, Hashable {
    public var values: [String: String]
    public var source: String

    public init(source: String, values: [String: String]) {
        self.source = source
        self.values = values
    }

    public subscript(_ key: String) -> String? { values[key].flatMap { $0.isEmpty ? nil : $0 } }

    func required(_ key: String) throws -> String {
        guard let value = self[key] else { throw APIConfigurationError("sources[\(source)].api.\(key) is required") }
        return value
    }

    /// `base_url` without a trailing slash.
    func baseURL(_ key: String = "base_url") throws -> String {
        var url = try required(key)
        while url.hasSuffix("/") { url.removeLast() }
        guard URL(string: url)?.host != nil else { throw APIConfigurationError("sources[\(source)].api.\(key) is not an absolute URL: \(url)") }
        return url
    }
}

/// A source's `api:` section cannot drive its client.
public struct APIConfigurationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Makes the API client of a provider kind. Throws `APIConfigurationError` when `settings` cannot drive it.
public enum ProviderAPIs {
    public static func make(
        kind: ProviderKind, settings: APISettings, transport: any HTTPTransport, now: @escaping @Sendable () -> Date = Date.init
    ) throws -> any ProviderAPI {
        switch kind {
        case .precoro: try PrecoroAPI(settings: settings, transport: transport, now: now)
        case .economic: try EconomicAPI(settings: settings, transport: transport, now: now)
        case .kladana: try KladanaAPI(settings: settings, transport: transport)
        case .softledger: try SoftLedgerAPI(settings: settings, transport: transport, now: now)
        case .standardWebhooks: try StandardWebhooksAPI(settings: settings, transport: transport, now: now)
        }
    }
}

/// Path segments as provider URLs want them.
enum URLPath {
    static func segment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// ISO 8601 times with a zone, with or without fractional seconds.
enum ISOTimestamp {
    /// Whole seconds in UTC (`2026-01-02T03:04:05Z`), rounded down so a lower bound never skips its second.
    static func format(_ date: Date) -> String {
        CivilTime.formatISO8601(date, milliseconds: false)
    }

    static func parse(_ text: String) -> Date? {
        CivilTime.parseISO8601(text)
    }
}
