public import HookSyncCore

/// Turns one provider's webhook requests into envelopes; there is one implementation per provider kind.
///
/// A parser is pure: it reads only the request, so a quarantined request can be parsed again later
/// with the same result (or a better one, after a fix).
///
/// ```swift
/// let parser = WebhookParsers.parser(for: .precoro)
/// let envelopes = try parser.parse(request, source: "procurement")
/// ```
public protocol WebhookParser: Sendable {
    /// The envelopes the request announces (several, for Kladana's JSON API) for the configured
    /// `source` name, each with `receivedAt` and the scrubbed raw request of `request`.
    func parse(_ request: WebhookRequest, source: String) throws(WebhookRejection) -> [EventEnvelope]
}

/// The webhook parser of each provider kind.
///
/// ```swift
/// WebhookParsers.parser(for: .kladana)  // KladanaWebhookParser
/// ```
public enum WebhookParsers {
    public static func parser(for kind: ProviderKind) -> any WebhookParser {
        switch kind {
        case .precoro: PrecoroWebhookParser()
        case .economic: EconomicWebhookParser()
        case .kladana: KladanaWebhookParser()
        case .softledger: SoftLedgerWebhookParser()
        case .standardWebhooks: StandardWebhooksParser()
        }
    }
}
