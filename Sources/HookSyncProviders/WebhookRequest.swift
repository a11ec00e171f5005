public import Foundation
public import HookSyncCore

/// A webhook request as every provider's parser sees it, independent of the HTTP server that received it.
///
/// ```swift
/// let request = WebhookRequest(
///     method: "POST", path: "/hooks/erp/customer", urlType: "customer",
///     query: ["newnumber": "33", "oldnumber": "33"], rawQuery: "newnumber=33&oldnumber=33",
///     headers: ["content-type": "text/plain"], body: Data(), receivedAt: Date())
/// let envelopes = try EconomicWebhookParser().parse(request, source: "erp")
/// ```
public struct WebhookRequest: Sendable, Hashable {
    public var method: String
    public var path: String
    /// The `{type}` segment of `/hooks/{source}/{type}`, for senders that put the type in the URL.
    public var urlType: String?
    /// Decoded query parameters; the first value wins when a name repeats.
    public var query: [String: String]
    /// The query string as it arrived (without the `?`), still percent-encoded.
    public var rawQuery: String
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: Data
    public var receivedAt: Date

    public init(
        method: String, path: String, urlType: String?, query: [String: String], rawQuery: String,
        headers: [String: String], body: Data, receivedAt: Date
    ) {
        self.method = method
        self.path = path
        self.urlType = urlType
        self.query = query
        self.rawQuery = rawQuery
        // The HTTP server hands over names already lowercased; only a caller that did not pays for it.
        self.headers = headers.keys.contains(where: Self.hasUppercase)
            ? Dictionary(headers.map { ($0.key.lowercased(), $0.value) }) { first, _ in first } : headers
        self.body = body
        self.receivedAt = receivedAt
    }

    /// The request as it is kept in the event log and the quarantine: everything as it came, except
    /// the credentials a sender may present (the `token` query parameter, the `Authorization`,
    /// `Proxy-Authorization` and `Cookie` headers), because both stores are readable by operators.
    public func rawRequest() -> RawRequest {
        // Built in one pass, and the headers copied only when one must go: this runs for every
        // request, and splitting, filtering and joining showed in ingest's profile.
        var keptQuery = ""
        for parameter in rawQuery.split(separator: "&", omittingEmptySubsequences: true) where !Self.isCredentialParameter(parameter) {
            if !keptQuery.isEmpty { keptQuery += "&" }
            keptQuery += parameter
        }
        let keptHeaders = headers.keys.contains(where: Self.isCredentialHeader) ? headers.filter { !Self.isCredentialHeader($0.key) } : headers
        return RawRequest(method: method, path: path, query: keptQuery, headers: keptHeaders, body: body)
    }

    /// `headers` is mutable, so a name set after `init` may still have capitals.
    private static func isCredentialHeader(_ name: String) -> Bool {
        credentialHeaders.contains(hasUppercase(name) ? name.lowercased() : name)
    }

    private static let credentialHeaders: Set<String> = ["authorization", "proxy-authorization", "cookie"]

    private static func hasUppercase(_ name: String) -> Bool {
        name.utf8.contains { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
    }

    /// Compares the decoded name, so `%74oken=` or `TOKEN=` cannot smuggle a secret into storage.
    private static func isCredentialParameter(_ parameter: Substring) -> Bool {
        let encodedName = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
        // Most names need no decoding, and Foundation's decoding showed in ingest's CPU
        // (docs/decisions.md#query-parameter-names-are-decoded-only-when-they-need-it).
        if !encodedName.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) { return isToken(encodedName.utf8) }
        let name = String(encodedName).replacingOccurrences(of: "+", with: " ")
        return isToken((name.removingPercentEncoding ?? name).utf8)
    }

    /// `token` in any case, compared byte by byte: lowercasing a copy of every query parameter's
    /// name showed in ingest's profile.
    private static func isToken<Name: Collection<UInt8>>(_ name: Name) -> Bool {
        // Setting bit 5 lowercases an ASCII letter, and only `T`/`t` become `t` (likewise o, k, e, n).
        name.count == 5 && zip(name, "token".utf8).allSatisfy { $0 | 0x20 == $1 }
    }

    /// The body as a JSON object, or a rejection that says what is wrong with it.
    func jsonObject(provider: String) throws(WebhookRejection) -> [String: Any] {
        guard !body.isEmpty else { throw WebhookRejection("\(provider): the body is empty; expected a JSON object") }
        if let object = FlatJSONObject.parse(body) { return object }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])
        } catch {
            throw WebhookRejection("\(provider): the body is not JSON: \(bodyPreview)")
        }
        guard let object = parsed as? [String: Any] else {
            throw WebhookRejection("\(provider): the body is JSON but \(JSONField.describe(parsed)), not an object")
        }
        return object
    }

    /// The start of the body, quoted, so a quarantine reason shows what actually arrived.
    var bodyPreview: String {
        let limit = 60
        guard let text = String(data: body, encoding: .utf8) else { return "\(body.count) bytes that are not UTF-8" }
        let preview = text.count > limit ? String(text.prefix(limit)) + "…" : text
        return String(reflecting: preview)
    }
}

/// Why a request from an authenticated sender could not be turned into events.
///
/// Ingest keeps such a request in the quarantine with this reason and still answers 200, so the
/// reason must tell a person what to fix, e.g. `economic: both newnumber and oldnumber are blank`.
public struct WebhookRejection: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}
