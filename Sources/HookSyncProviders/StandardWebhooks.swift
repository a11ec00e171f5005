import Crypto
public import Foundation
public import HookSyncCore

/// Senders that follow the Standard Webhooks spec: body `{"type": "<entity>.<action>", "timestamp",
/// "data": {"id", …}}`, `webhook-id` as the delivery id, signed with HMAC-SHA256.
public struct StandardWebhooksParser: WebhookParser {
    public init() {}

    public func parse(_ request: WebhookRequest, source: String) throws(WebhookRejection) -> [EventEnvelope] {
        let object = try request.jsonObject(provider: "standard-webhooks")
        guard let eventType = object["type"] as? String, let dot = eventType.lastIndex(of: "."),
              dot != eventType.startIndex, eventType.index(after: dot) != eventType.endIndex
        else { throw WebhookRejection("standard-webhooks: \"type\" must look like <entity>.<action>") }
        guard let id = JSONField.identifier((object["data"] as? [String: Any])?["id"]) else {
            throw WebhookRejection("standard-webhooks: \"data.id\" is missing")
        }
        let type = JSONField.snakeCase(String(eventType[..<dot]))
        guard JSONField.isTypeName(type) else { throw WebhookRejection("standard-webhooks: \"\(eventType[..<dot])\" is not an entity type name") }
        let action: EventAction = switch eventType[eventType.index(after: dot)...].lowercased() {
        case "created", "create": .create
        case "updated", "update": .update
        case "deleted", "delete": .delete
        default: .changed
        }
        return [EventEnvelope(
            key: EntityKey(source: source, type: type, id: id), action: action,
            deliveryID: request.headers["webhook-id"], receivedAt: request.receivedAt,
            occurredAt: JSONField.isoDate(object["timestamp"]), raw: request.rawRequest())]
    }
}

/// Verifies (and makes) Standard Webhooks signatures: HMAC-SHA256 over `id.timestamp.body` with a
/// `whsec_` base64 secret; the header lists `v1,<base64>` signatures separated by spaces.
///
/// Several secrets may be configured while a key is rotated: a signature by any of them is valid.
///
/// ```swift
/// let verifier = StandardWebhooksVerifier(secrets: ["whsec_…"])
/// try verifier.verify(id: id, timestamp: ts, signatureHeader: header, body: body, now: Date())
/// ```
public struct StandardWebhooksVerifier: Sendable {
    let keys: [SymmetricKey]
    let tolerance: Duration

    public init(secrets: [String], tolerance: Duration = .seconds(300)) {
        keys = secrets.map { secret in
            let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst("whsec_".count)) : secret
            return SymmetricKey(data: Data(base64Encoded: encoded) ?? Data(secret.utf8))
        }
        self.tolerance = tolerance
    }

    public func verify(id: String, timestamp: String, signatureHeader: String, body: Data, now: Date) throws(WebhookSignatureError) {
        guard let seconds = Int64(timestamp) else { throw .malformedTimestamp }
        let age = now.timeIntervalSince1970 - Double(seconds)
        let limit = Double(tolerance.components.seconds)
        guard age <= limit else { throw .tooOld }
        guard age >= -limit else { throw .inTheFuture }
        let content = Data("\(id).\(timestamp).".utf8) + body
        let signatures = signatureHeader.split(separator: " ").compactMap { entry -> Data? in
            let parts = entry.split(separator: ",", maxSplits: 1)
            guard parts.count == 2, parts[0] == "v1" else { return nil }
            return Data(base64Encoded: String(parts[1]))
        }
        guard !signatures.isEmpty else { throw .noSignature }
        for key in keys {
            for signature in signatures where HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: content, using: key) {
                return
            }
        }
        throw .noMatchingSignature
    }

    /// `v1,<base64>` for the content, with the first secret: what a sender puts in `webhook-signature`.
    public func sign(id: String, timestamp: String, body: Data) -> String {
        let content = Data("\(id).\(timestamp).".utf8) + body
        let code = HMAC<SHA256>.authenticationCode(for: content, using: keys[0])
        return "v1," + Data(code).base64EncodedString()
    }
}

/// Why a Standard Webhooks signature was refused. Never includes a secret.
public enum WebhookSignatureError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformedTimestamp, tooOld, inTheFuture, noSignature, noMatchingSignature

    public var description: String {
        switch self {
        case .malformedTimestamp: "webhook-timestamp is not Unix seconds"
        case .tooOld: "webhook-timestamp is more than 5 minutes old (a replay, or a clock far off)"
        case .inTheFuture: "webhook-timestamp is more than 5 minutes in the future"
        case .noSignature: "webhook-signature has no v1 signature"
        case .noMatchingSignature: "no v1 signature matches the body and a configured secret"
        }
    }
}
