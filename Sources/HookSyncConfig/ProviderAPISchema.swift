import HookSyncCore

/// Which keys each provider kind takes under `api:`, which are required, which are secrets, and the
/// defaults from docs/providers.md. One table, so a provider's credentials change in one place.
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

    /// Timeouts, limits and circuit settings every kind accepts; the limits' defaults are the
    /// provider's documented ones (docs/providers.md, "At a glance").
    static func common(rateLimit: String, burst: Int, maxParallel: Int) -> [Key] {
        [
            optional("connect_timeout", default: "5s"), optional("read_timeout", default: "30s"),
            optional("rate_limit", default: rateLimit), optional("burst", default: String(burst)),
            optional("max_parallel", default: String(maxParallel)),
            optional("circuit_failures", default: "5"), optional("circuit_cooldown", default: "30s"),
        ]
    }

    static func forKind(_ kind: ProviderKind) -> ProviderAPISchema {
        switch kind {
        case .precoro:
            ProviderAPISchema(keys: [optional("base_url", default: "https://api.precoro.com"), required("email"), secret("token"), optional("time_zone", default: "UTC")]
                + common(rateLimit: "1/1s", burst: 1, maxParallel: 1))
        case .economic:
            ProviderAPISchema(keys: [
                optional("base_url", default: "https://restapi.e-conomic.com"),
                secret("app_secret_token"), secret("agreement_grant_token"),
            ] + common(rateLimit: "50000/1d", burst: 200, maxParallel: 8))
        case .kladana:
            ProviderAPISchema(keys: [optional("base_url", default: "https://api.kladana.com/api/remap/1.2"), secret("token")]
                + common(rateLimit: "45/3s", burst: 45, maxParallel: 5))
        case .softledger:
            ProviderAPISchema(keys: [
                optional("base_url", default: "https://api.softledger.com/api"),
                optional("token_url", default: "https://auth.accounting-auth.com/oauth/token"),
                required("client_id"), secret("client_secret"), required("tenant_uuid"), required("audience"),
            ] + common(rateLimit: "10/1s", burst: 20, maxParallel: 4))
        case .standardWebhooks:
            ProviderAPISchema(keys: [required("fetch_url"), optional("list_url"), secret("token", required: false)]
                + common(rateLimit: "10/1s", burst: 20, maxParallel: 8))
        }
    }
}
