import HookSyncCore

/// One webhook request as the provider composes it, before HookSync's address and credentials are
/// added (`WebhookTarget.url(for:)`): what goes below `/hooks/{source}`, the query the provider
/// fills in, and the body.
///
/// A duplicate delivery is this same value sent twice, so its delivery id (SoftLedger's `uuid`,
/// Kladana's `requestId`, the Standard Webhooks `webhook-id`) is the same both times, as it is in a
/// provider's retry.
struct WebhookDelivery: Sendable, Hashable {
    enum Method: String, Sendable, Hashable {
        case get = "GET"
        case post = "POST"
    }

    struct QueryItem: Sendable, Hashable {
        var name: String
        var value: String
    }

    var provider: SimulatedProvider
    var method: Method = .post
    /// A path segment after `/hooks/{source}`: e-conomic's entity type, which its URLs carry.
    var pathSegment: String?
    var query: [QueryItem] = []
    var body: [UInt8] = []
    var contentType: String?
    /// Standard Webhooks: the `webhook-id`. Such a delivery is signed as it is sent, because the
    /// signature covers the time of sending.
    var standardWebhookID: String?
    /// How many changes it announces: one, or several for Kladana's JSON API.
    var changes = 1
}

/// What a provider's webhook format needs besides the changes: a generator for delivery ids, where
/// the API lives (Kladana links to it), and what it announced lately (Precoro holds back repeats).
///
/// Owned by one driver, so delivery ids continue from one drive to the next.
struct WebhookContext: Sendable {
    /// Draws delivery ids only, so the ids do not depend on the mutations or the faults.
    var random: SeededGenerator
    /// `http://host:port` of the simulator.
    var origin: String
    var kladanaForm: KladanaWebhookForm
    /// Kladana's `accountId`, the same in every event of a run.
    var kladanaAccountID: String
    /// When each (type, id, action) was last announced, in milliseconds since 1970.
    var lastAnnounced: [String: Int64] = [:]
}
