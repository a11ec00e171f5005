import Foundation
import HookSyncConfig
import HookSyncProviders

/// Decides whether a request really comes from a source's sender: its network (optional), then its
/// token or, for Standard Webhooks senders, its signature.
///
/// None of the four providers signs its webhooks, so for them the secret is a token they put in the
/// URL they call (`?token=`) or an `Authorization: Bearer` header.
struct WebhookAuthenticator: Sendable {
    let token: SecretDigest?
    let signatures: StandardWebhooksVerifier?
    let allowedNetworks: [IPNetwork]

    init(source: SourceConfiguration) {
        token = source.webhookToken.map { SecretDigest($0.value) }
        signatures = source.signingSecrets.isEmpty ? nil : StandardWebhooksVerifier(secrets: source.signingSecrets.map(\.value))
        allowedNetworks = source.allowCIDRs
    }

    /// `nil` when the request is authentic, else the reason (safe to log: it never holds a secret).
    func failure(of request: WebhookRequest, remoteAddress: String?, now: Date) -> String? {
        if !allowedNetworks.isEmpty {
            guard let remoteAddress, allowedNetworks.contains(where: { $0.contains(remoteAddress) }) else {
                return "address \(remoteAddress ?? "unknown") is not in the source's allow_cidrs"
            }
        }
        if let signatures {
            let headers = request.headers
            guard let id = headers["webhook-id"], let timestamp = headers["webhook-timestamp"],
                  let signature = headers["webhook-signature"]
            else { return "missing webhook-id, webhook-timestamp or webhook-signature header" }
            do {
                try signatures.verify(id: id, timestamp: timestamp, signatureHeader: signature, body: request.body, now: now)
            } catch {
                return "\(error)"
            }
        }
        if let token {
            guard let presented = Self.presentedToken(request) else {
                return "no token: expected ?token= in the URL or an Authorization: Bearer header"
            }
            guard token.matches(presented) else { return "wrong token" }
        }
        return nil
    }

    static func presentedToken(_ request: WebhookRequest) -> String? {
        if let authorization = request.headers["authorization"], authorization.lowercased().hasPrefix("bearer ") {
            return String(authorization.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        }
        return request.query["token"]
    }
}
