public import HookSyncCore

/// Turns one provider's webhook requests into envelopes; there is one implementation per provider kind.
///
/// A parser is pure: it reads only the request, so a quarantined request can be parsed again later
/// with the same result (or a better one, after a fix).
///
/// ```swift
/// if let parser = WebhookParsers.parser(forKind: "precoro") {
///     let envelopes = try parser.parse(request, source: "procurement")
/// }
/// ```
public protocol WebhookParser: Sendable {
    /// The envelopes the request announces (several, for Kladana's JSON API) for the configured
    /// `source` name, each with `receivedAt` and the scrubbed raw request of `request`.
    func parse(_ request: WebhookRequest, source: String) throws(WebhookRejection) -> [EventEnvelope]
}

/// Finds the webhook parser for a provider kind named in `hooksync.yaml`.
///
/// ```swift
/// WebhookParsers.parser(forKind: "kladana")     // KladanaWebhookParser
/// WebhookParsers.parser(forKind: "quickbooks")  // nil
/// ```
public enum WebhookParsers {
    /// The kind names that have a parser.
    public static let kinds = ["precoro", "economic", "kladana", "softledger", "standard-webhooks"]

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
