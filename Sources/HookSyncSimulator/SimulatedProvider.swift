/// The provider APIs the simulator imitates, each mounted under its own path prefix.
///
/// ```swift
/// let base = SimulatedProvider.kladana.baseURL(origin: "http://127.0.0.1:8089")
/// // "http://127.0.0.1:8089/kladana/api/remap/1.2", the `base_url` a Kladana source is configured with
/// ```
public enum SimulatedProvider: String, Sendable, CaseIterable {
    case precoro
    case economic
    case kladana
    case softledger
    case standardWebhooks = "standard-webhooks"

    /// Where the provider's API lives on the simulator; the part after it is the provider's own path.
    public var pathPrefix: String {
        switch self {
        case .precoro: "/precoro"
        case .economic: "/economic"
        case .kladana: "/kladana/api/remap/1.2"
        case .softledger: "/softledger/api"
        case .standardWebhooks: "/standard"
        }
    }

    /// The API's base URL on a simulator reachable at `origin` (`http://host:port`).
    public func baseURL(origin: String) -> String { origin + pathPrefix }

    /// The finest step of the provider's modification times, in milliseconds: Precoro and e-conomic
    /// print whole seconds, the others milliseconds. Stored times are truncated to it, so what the API
    /// serves and what `truthLines` reports are the same instant.
    var timePrecisionMilliseconds: Int64 {
        switch self {
        case .precoro, .economic: 1_000
        case .kladana, .softledger, .standardWebhooks: 1
        }
    }
}
