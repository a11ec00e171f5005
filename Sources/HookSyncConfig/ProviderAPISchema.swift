/// Which keys each provider kind takes under `api:`, which are required, which are secrets, and the
/// defaults from ../shared/PROVIDERS.md. One table, so a provider's credentials change in one place.
struct ProviderAPISchema {
    struct Key {
        var name: String
        var required: Bool
        var secret: Bool
        var defaultValue: String?
    }

    var keys: [Key]

    static func optional(_ name: String, default value: String? = nil) -> Key {
        Key(name: name, required: false, secret: false, defaultValue: value)
    }
    static func required(_ name: String) -> Key { Key(name: name, required: true, secret: false) }
    static func secret(_ name: String, required: Bool = true) -> Key { Key(name: name, required: required, secret: true) }

    /// Timeouts every kind accepts.
    static let common: [Key] = [optional("connect_timeout", default: "5s"), optional("read_timeout", default: "30s")]

    static func forKind(_ kind: ProviderKind) -> ProviderAPISchema {
        switch kind {
        case .precoro:
            ProviderAPISchema(keys: [optional("base_url", default: "https://api.precoro.com"), required("email"), secret("token")] + common)
        case .economic:
            ProviderAPISchema(keys: [
                optional("base_url", default: "https://restapi.e-conomic.com"),
                secret("app_secret_token"), secret("agreement_grant_token"),
            ] + common)
        case .kladana:
            ProviderAPISchema(keys: [optional("base_url", default: "https://api.kladana.com/api/remap/1.2"), secret("token")] + common)
        case .softledger:
            ProviderAPISchema(keys: [
                optional("base_url", default: "https://api.softledger.com/api"),
                optional("token_url", default: "https://auth.accounting-auth.com/oauth/token"),
                required("client_id"), secret("client_secret"), required("tenant_uuid"), required("audience"),
            ] + common)
        case .standardWebhooks:
            ProviderAPISchema(keys: [required("fetch_url"), optional("list_url"), secret("token", required: false)] + common)
        }
    }
}
