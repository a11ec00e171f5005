public import Foundation

/// The key behind a Standard Webhooks signing secret, read as the spec's reference libraries read it:
/// `whsec_` is dropped if present, and the rest is base64 (padding may be missing).
///
/// One reading for the config loader, which refuses a secret that has no key, and for the verifier
/// that signs with it, so a secret that passed `config check` is the key requests are checked with.
///
/// ```swift
/// let key = try StandardWebhooksSecret.key(of: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")   // 24 bytes
/// ```
public enum StandardWebhooksSecret {
    public static let prefix = "whsec_"
    /// The spec asks for keys of 24 to 64 random bytes.
    public static let recommendedKeyBytes = 24

    public enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        case empty
        case notBase64

        public var description: String {
            switch self {
            case .empty: "has no key after whsec_"
            case .notBase64: "is not whsec_ followed by base64, the form Standard Webhooks secrets have (the key is its decoded bytes)"
            }
        }
    }

    /// Surrounding whitespace (a newline from an env file) is ignored.
    public static func key(of secret: String) throws(Problem) -> Data {
        var encoded = Substring(secret.trimmingCharacters(in: .whitespacesAndNewlines))
        if encoded.hasPrefix(prefix) { encoded = encoded.dropFirst(prefix.count) }
        guard !encoded.isEmpty else { throw .empty }
        // Foundation insists on `=` padding, which is often lost in copying.
        let padding = String(repeating: "=", count: (4 - encoded.count % 4) % 4)
        guard let key = Data(base64Encoded: encoded + padding), !key.isEmpty else { throw .notBase64 }
        return key
    }
}
