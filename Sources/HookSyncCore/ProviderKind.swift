/// The providers HookSync understands, by the wire format of their webhooks and APIs; the raw value
/// is the `kind:` of a source in `hooksync.yaml`.
///
/// Each concern that differs by provider (the webhook parser, the API client, the `api:` keys) is one
/// exhaustive `switch` over this enum, so a new case does not compile until it has all three.
public enum ProviderKind: String, Sendable, Hashable, CaseIterable {
    case precoro
    case economic
    case kladana
    case softledger
    case standardWebhooks = "standard-webhooks"
}
