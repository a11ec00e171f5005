import Crypto
import Foundation

/// Signs deliveries as a Standard Webhooks sender does: `v1,<base64 HMAC-SHA256>` over
/// `<webhook-id>.<webhook-timestamp>.<body>`, keyed by the bytes a `whsec_<base64>` secret encodes.
///
/// Written from the specification rather than borrowed from HookSync's verifier, so the simulator
/// checks that verifier instead of agreeing with it by construction.
///
/// ```swift
/// let signer = StandardWebhooksSigner(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!
/// signer.signature(id: "msg_1", timestamp: "1614265330", body: body)  // "v1,…"
/// ```
struct StandardWebhooksSigner: Sendable {
    private let key: SymmetricKey

    /// `nil` unless the secret is `whsec_` followed by base64 (padding optional) of at least one byte.
    init?(secret: String) {
        let prefix = "whsec_"
        guard secret.hasPrefix(prefix) else { return nil }
        let encoded = secret.dropFirst(prefix.count)
        guard let bytes = Data(base64Encoded: encoded + String(repeating: "=", count: (4 - encoded.count % 4) % 4)), !bytes.isEmpty
        else { return nil }
        key = SymmetricKey(data: bytes)
    }

    func signature(id: String, timestamp: String, body: [UInt8]) -> String {
        let content = Data("\(id).\(timestamp).".utf8) + body
        return "v1," + Data(HMAC<SHA256>.authenticationCode(for: content, using: key)).base64EncodedString()
    }
}
