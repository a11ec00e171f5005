import Foundation
import HookSyncConfig
import HookSyncProviders
import HTTPTypes
import Hummingbird

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

    /// What can be refused from the request's head, before its body is read (and so before a
    /// stranger's body takes memory): its network, its token, and for Standard Webhooks senders the
    /// presence of the signature headers and the freshness of their timestamp. `nil` when it passes.
    ///
    /// A Standard Webhooks sender is authenticated by a signature over its body, so for it only these
    /// cheap checks come first; `signatureFailure(of:now:)` does the rest once the body is read.
    func failureBeforeBody(of request: Request, remoteAddress: String?, now: Date) -> String? {
        if !allowedNetworks.isEmpty {
            guard let remoteAddress, allowedNetworks.contains(where: { $0.contains(remoteAddress) }) else {
                return "address \(remoteAddress ?? "unknown") is not in the source's allow_cidrs"
            }
        }
        if let signatures {
            guard request.headers[Self.webhookID] != nil, let timestamp = request.headers[Self.webhookTimestamp],
                  let signature = request.headers[Self.webhookSignature]
            else { return "missing webhook-id, webhook-timestamp or webhook-signature header" }
            do {
                try signatures.checkBeforeBody(timestamp: timestamp, signatureHeader: signature, now: now)
            } catch {
                return "\(error)"
            }
        }
        if let token {
            let presented = Self.presentedTokens(request)
            guard let first = presented.first else {
                return "no token: expected ?token= in the URL or an Authorization: Bearer header"
            }
            // Every credential presented must be the token: one good among others proves nothing.
            guard presented.agree else {
                return "the request presents \(presented.count) different tokens (in ?token= and Authorization: Bearer); send one"
            }
            guard token.matches(String(first)) else { return "wrong token" }
        }
        return nil
    }

    /// The signature check of a Standard Webhooks sender, over the body; `nil` when it passes or the
    /// source is not signed.
    func signatureFailure(of request: WebhookRequest, now: Date) -> String? {
        guard let signatures else { return nil }
        let headers = request.headers
        guard let id = headers["webhook-id"], let timestamp = headers["webhook-timestamp"],
              let signature = headers["webhook-signature"]
        else { return "missing webhook-id, webhook-timestamp or webhook-signature header" }
        do {
            try signatures.verify(id: id, timestamp: timestamp, signatureHeader: signature, body: request.body, now: now)
        } catch {
            return "\(error)"
        }
        return nil
    }

    /// The tokens a request presents, in each `Authorization: Bearer` header and each `token` query
    /// parameter: the first, how many, and whether they are all the same.
    static func presentedTokens(_ request: Request) -> (first: Substring?, count: Int, agree: Bool) {
        var presented: (first: Substring?, count: Int, agree: Bool) = (nil, 0, true)
        func add(_ token: Substring) {
            presented.count += 1
            if let first = presented.first {
                if first != token { presented.agree = false }
            } else {
                presented.first = token
            }
        }
        for authorization in request.headers[values: .authorization] where authorization.lowercased().hasPrefix("bearer ") {
            add(Substring(authorization.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)))
        }
        for token in request.uri.queryParameters[values: "token"] { add(token) }
        return presented
    }

    static let webhookID = HTTPField.Name("webhook-id")!
    static let webhookTimestamp = HTTPField.Name("webhook-timestamp")!
    static let webhookSignature = HTTPField.Name("webhook-signature")!
}
