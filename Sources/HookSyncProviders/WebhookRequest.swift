public import Foundation
public import HookSyncCore

/// A webhook request as every provider's parser sees it, independent of the HTTP server.
public struct WebhookRequest: Sendable, Hashable {
    public var method: String
    public var path: String
    /// The `{type}` segment of `/hooks/{source}/{type}`, for senders that put the type in the URL.
    public var urlType: String?
    /// Decoded query parameters; the first value wins when a name repeats.
    public var query: [String: String]
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
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }) { first, _ in first }
        self.body = body
        self.receivedAt = receivedAt
    }

    /// The request as it is kept in the event log and the quarantine: secrets removed (the `token`
    /// query parameter, `Authorization` and `Cookie` headers), everything else as it came.
    public func rawRequest() -> RawRequest {
        let keptQuery = rawQuery.split(separator: "&", omittingEmptySubsequences: true)
            .filter { !$0.hasPrefix("token=") && $0 != "token" }
            .joined(separator: "&")
        let keptHeaders = headers.filter { !["authorization", "cookie"].contains($0.key) }
        return RawRequest(method: method, path: path, query: keptQuery, headers: keptHeaders, body: body)
    }

    /// The body as a JSON object, or a rejection that says what is wrong with it.
    func jsonObject(provider: String) throws(WebhookRejection) -> [String: Any] {
        guard !body.isEmpty else { throw WebhookRejection("\(provider): the body is empty; expected a JSON object") }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])
        } catch {
            throw WebhookRejection("\(provider): the body is not JSON")
        }
        guard let object = parsed as? [String: Any] else { throw WebhookRejection("\(provider): the body is JSON but not an object") }
        return object
    }
}

/// Why a request from an authenticated sender could not be turned into events. Ingest keeps such a
/// request in the quarantine with this reason, so the reason must tell a person what to fix.
public struct WebhookRejection: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}

/// Turns one provider's webhook requests into envelopes. One implementation per provider kind.
public protocol WebhookParser: Sendable {
    /// The envelopes the request announces (several, for Kladana's JSON API), for the configured `source`.
    func parse(_ request: WebhookRequest, source: String) throws(WebhookRejection) -> [EventEnvelope]
}

/// The parser for each provider kind, by the kind names of `hooksync.yaml`.
public enum WebhookParsers {
    public static func parser(forKind kind: String) -> (any WebhookParser)? {
        switch kind {
        case "precoro": PrecoroWebhookParser()
        case "economic": EconomicWebhookParser()
        case "kladana": KladanaWebhookParser()
        case "softledger": SoftLedgerWebhookParser()
        case "standard-webhooks": StandardWebhooksParser()
        default: nil
        }
    }
}

/// Shared reading of loosely typed JSON fields.
enum JSONField {
    /// A string, or a whole number given as a JSON number (providers differ on ids).
    static func identifier(_ value: Any?) -> String? {
        switch value {
        case let text as String: text.isEmpty ? nil : text
        case let number as Int64: String(number)
        case let number as Double where number == number.rounded() && abs(number) < 9e15: String(Int64(number))
        default: nil
        }
    }

    static func integer(_ value: Any?) -> Int? {
        switch value {
        case let number as Int: number
        case let text as String: Int(text)
        default: nil
        }
    }

    /// ISO 8601 with or without fractional seconds.
    static func isoDate(_ value: Any?) -> Date? {
        guard let text = value as? String else { return nil }
        return (try? Date(text, strategy: .iso8601)) ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }

    /// `LedgerAccount` → `ledger_account`; `invoice` stays; spaces, dots and dashes become `_`.
    static func snakeCase(_ text: String) -> String {
        var result = ""
        var previousWasLowerOrDigit = false
        for character in text {
            if character == " " || character == "-" || character == "_" || character == "." {
                if !result.hasSuffix("_") && !result.isEmpty { result.append("_") }
                previousWasLowerOrDigit = false
            } else if character.isUppercase {
                if previousWasLowerOrDigit { result.append("_") }
                result += character.lowercased()
                previousWasLowerOrDigit = false
            } else {
                result.append(character)
                previousWasLowerOrDigit = character.isLowercase || character.isNumber
            }
        }
        return result
    }

    /// Whether a type name is safe to put in a URL path and a label: `^[a-z][a-z0-9_]*$`.
    static func isTypeName(_ text: String) -> Bool {
        text.range(of: "^[a-z][a-z0-9_]*$", options: .regularExpression) != nil
    }
}
