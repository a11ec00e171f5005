public import Foundation

/// Where a drive sends webhooks and as which HookSync sources: the ingest listener's base URL and,
/// per provider, the source name and its credentials, as `hooksync.yaml` configures them.
///
/// Only the providers in `sources` are changed by a drive (besides SoftLedger's silent bulk action).
///
/// ```swift
/// let target = WebhookTarget(baseURL: "http://127.0.0.1:8080", sources: [
///     .economic: WebhookSource(name: "economic-dk", token: "s3cret"),
///     .standardWebhooks: WebhookSource(name: "shop", signingSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
/// ])
/// ```
public struct WebhookTarget: Sendable, Hashable {
    /// `http://host:port` (and a path prefix, if ingest sits behind one); webhooks go to
    /// `{baseURL}/hooks/{source}…`.
    public var baseURL: String
    public var sources: [SimulatedProvider: WebhookSource]
    public var kladanaForm: KladanaWebhookForm
    public var retry: WebhookRetry
    /// Deliveries in flight at once. Several keep ingest's group commit busy, as real traffic does;
    /// 1 keeps arrivals in sending order.
    public var concurrency: Int

    public init(
        baseURL: String, sources: [SimulatedProvider: WebhookSource], kladanaForm: KladanaWebhookForm = .jsonAPI,
        retry: WebhookRetry = .init(), concurrency: Int = 4
    ) {
        self.baseURL = baseURL
        self.sources = sources
        self.kladanaForm = kladanaForm
        self.retry = retry
        self.concurrency = concurrency
    }

    public func validate() throws(DriveConfigurationError) {
        guard let url = URLComponents(string: baseURL), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
              let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil
        else { throw DriveConfigurationError("the webhook URL must look like http://127.0.0.1:8080, got \(baseURL)") }
        guard !sources.isEmpty else { throw DriveConfigurationError("name at least one source to send webhooks to") }
        for (provider, source) in sources.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            try source.validate(for: provider)
        }
        guard (1...64).contains(concurrency) else { throw DriveConfigurationError("concurrency must be 1...64, got \(concurrency)") }
        try retry.validate()
    }

    /// The absolute URL of a delivery: `{baseURL}/hooks/{source}[/{segment}]?{provider's query}&token=…`.
    func url(for delivery: WebhookDelivery) -> String {
        guard let source = sources[delivery.provider] else { preconditionFailure("no source for \(delivery.provider.rawValue)") }
        var path = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        path += "/hooks/" + Self.encoded(source.name)
        if let segment = delivery.pathSegment { path += "/" + Self.encoded(segment) }
        var query = delivery.query
        if let token = source.token { query.append(.init(name: "token", value: token)) }
        guard !query.isEmpty else { return path }
        return path + "?" + query.map { Self.encoded($0.name) + "=" + Self.encoded($0.value) }.joined(separator: "&")
    }

    /// Only RFC 3986's unreserved characters left bare, so names, tokens and values survive any router.
    private static func encoded(_ text: String) -> String {
        var unreserved = CharacterSet.alphanumerics
        unreserved.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}

/// One HookSync source: its name (the `/hooks/{name}` segment) and what authenticates its webhooks.
public struct WebhookSource: Sendable, Hashable {
    public var name: String
    /// The source's `webhook_token`, sent as `?token=`; `nil` sends none.
    public var token: String?
    /// Standard Webhooks only: the `whsec_…` secret each delivery is signed with (one of the source's
    /// `signing_secrets`); `nil` sends the `webhook-id` and `webhook-timestamp` headers unsigned.
    public var signingSecret: String?

    public init(name: String, token: String? = nil, signingSecret: String? = nil) {
        self.name = name
        self.token = token
        self.signingSecret = signingSecret
    }

    func validate(for provider: SimulatedProvider) throws(DriveConfigurationError) {
        guard !name.isEmpty, !name.contains("/") else {
            throw DriveConfigurationError("the \(provider.rawValue) source name must be a non-empty URL segment, got \(String(reflecting: name))")
        }
        if let token, token.isEmpty { throw DriveConfigurationError("the \(provider.rawValue) webhook token is empty") }
        if let signingSecret {
            guard provider == .standardWebhooks else {
                throw DriveConfigurationError("only standard-webhooks sources sign their webhooks; \(provider.rawValue) takes a token")
            }
            guard StandardWebhooksSigner(secret: signingSecret) != nil else {
                throw DriveConfigurationError("the standard-webhooks signing secret must be whsec_ followed by base64, e.g. whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            }
        }
    }
}

/// Which of Kladana's two webhook forms a drive sends: the JSON API's (`POST` with a body of events
/// and a `requestId`) or the workflow's (`GET ?id=&type=`, which says only that an entity changed).
public enum KladanaWebhookForm: String, Sendable, Hashable, CaseIterable {
    case jsonAPI = "json-api"
    case workflow
}

/// How a provider retries a delivery that ingest did not answer 2xx (an error status, a refused
/// connection, no answer within `timeout`): up to `maxAttempts` tries in all, waiting `backoff`,
/// then twice that, and so on. The providers' own schedules run to minutes (e-conomic: 1 s, 20 s,
/// 1 min, 5 min, 20 min); the default is short so a test or a demo sees the outcome soon.
///
/// ```swift
/// WebhookRetry(maxAttempts: 4, backoff: .milliseconds(100))   // tries at 0, 0.1 s, 0.3 s, 0.7 s
/// ```
public struct WebhookRetry: Sendable, Hashable {
    public var maxAttempts: Int
    public var backoff: Duration
    /// How long one attempt may take, answer included. Kladana waits 1.5 s.
    public var timeout: Duration

    public init(maxAttempts: Int = 4, backoff: Duration = .milliseconds(100), timeout: Duration = .seconds(5)) {
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.timeout = timeout
    }

    /// The wait before attempt `attempt + 1`, after `attempt` failures.
    func delay(afterAttempt attempt: Int) -> Duration {
        backoff * (1 << min(attempt - 1, 20))
    }

    func validate() throws(DriveConfigurationError) {
        guard (1...20).contains(maxAttempts) else { throw DriveConfigurationError("max_attempts must be 1...20, got \(maxAttempts)") }
        guard backoff >= .zero else { throw DriveConfigurationError("the retry backoff must not be negative") }
        guard timeout > .zero else { throw DriveConfigurationError("the webhook timeout must be above 0") }
    }
}
