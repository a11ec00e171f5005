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
    /// The provider's documented windows: `api.limits` when the file has none.
    var limits: [String]

    static func optional(_ name: String, default value: String? = nil) -> Key {
        Key(name: name, required: false, secret: false, defaultValue: value)
    }
    static func required(_ name: String) -> Key { Key(name: name, required: true, secret: false) }
    static func secret(_ name: String, required: Bool = true) -> Key { Key(name: name, required: required, secret: true) }

    /// Timeouts, limits and circuit settings every kind accepts; the limits' defaults are the
    /// provider's documented ones (docs/providers.md, "At a glance").
    /// `rate_limit` and `burst` are deprecated (read by `SourceLimits`), so they have no default;
    /// `limits` is a list and read beside these keys.
    static func common(maxParallel: Int) -> [Key] {
        [
            optional("connect_timeout", default: "5s"), optional("read_timeout", default: "30s"),
            optional("rate_limit"), optional("burst"),
            optional("max_parallel", default: String(maxParallel)),
            optional("circuit_failures", default: "5"), optional("circuit_cooldown", default: "30s"),
        ]
    }

    static func forKind(_ kind: ProviderKind) -> ProviderAPISchema {
        switch kind {
        case .precoro:
            ProviderAPISchema(keys: [optional("base_url", default: "https://api.precoro.com"), required("email"), secret("token"), optional("time_zone", default: "UTC")]
                + common(maxParallel: 1), limits: ["1/1s", "1500/1h", "3000/1d"])
        case .economic:
            ProviderAPISchema(keys: [
                optional("base_url", default: "https://restapi.e-conomic.com"),
                secret("app_secret_token"), secret("agreement_grant_token"),
            ] + common(maxParallel: 8), limits: ["50000/1d"])
        case .kladana:
            ProviderAPISchema(keys: [optional("base_url", default: "https://api.kladana.com/api/remap/1.2"), secret("token")]
                + common(maxParallel: 5), limits: ["45/3s"])
        case .softledger:
            ProviderAPISchema(keys: [
                optional("base_url", default: "https://api.softledger.com/api"),
                optional("token_url", default: "https://auth.accounting-auth.com/oauth/token"),
                required("client_id"), secret("client_secret"), required("tenant_uuid"), required("audience"),
            ] + common(maxParallel: 4), limits: ["10/1s"])
        case .standardWebhooks:
            ProviderAPISchema(keys: [required("fetch_url"), optional("list_url"), secret("token", required: false)]
                + common(maxParallel: 8), limits: ["10/1s"])
        }
    }
}
