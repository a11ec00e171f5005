import Crypto
public import Foundation
public import HookSyncCore

/// The header names of the Standard Webhooks specification (standardwebhooks.com), lowercased as
/// `WebhookRequest.headers` holds them.
public enum StandardWebhooks {
    /// The delivery's id, the same across the sender's retries.
    public static let idHeader = "webhook-id"
    /// Unix seconds when the sender signed the delivery.
    public static let timestampHeader = "webhook-timestamp"
    /// Space-separated `v1,<base64>` signatures.
    public static let signatureHeader = "webhook-signature"
}

/// Parses a Standard Webhooks body `{"type": "<entity>.<action>", "timestamp", "data": {"id", …}}`
/// into one envelope, with the `webhook-id` header as its delivery id.
///
/// The entity type is the text before the last dot in snake_case (`purchase.order.deleted` →
/// `purchase_order`); the word after it gives the action (`created`, `updated`, `deleted`, anything
/// else is `.changed`), and the whole event type is kept in `extras["event_type"]`. Signatures are
/// checked before parsing, by `StandardWebhooksVerifier`.
///
/// ```swift
/// let envelopes = try StandardWebhooksParser().parse(request, source: "acme")
/// // [acme/invoice/inv_1 update, delivery id "msg_…", extras ["event_type": "invoice.updated"]]
/// ```
public struct StandardWebhooksParser: WebhookParser {
    public init() {}

    public func parse(_ request: WebhookRequest, source: String) throws(WebhookRejection) -> [EventEnvelope] {
        let object = try request.jsonObject(provider: "standard-webhooks")
        guard let eventType = object["type"] as? String else {
            throw JSONField.missingOrWrong(object["type"], "type", expected: "a string like invoice.updated", provider: "standard-webhooks")
        }
        guard let dot = eventType.lastIndex(of: "."), dot != eventType.startIndex, eventType.index(after: dot) != eventType.endIndex else {
            throw WebhookRejection("standard-webhooks: \"type\" is \(String(reflecting: eventType)); expected <entity>.<action>, e.g. invoice.updated")
        }
        let entity = eventType[..<dot]
        let type = JSONField.snakeCase(String(entity))
        guard JSONField.isTypeName(type) else {
            throw WebhookRejection("standard-webhooks: \(String(reflecting: String(entity))) in \"type\" is not an entity type name")
        }
        guard let data = object["data"] as? [String: Any] else {
            throw JSONField.missingOrWrong(object["data"], "data", expected: "an object", provider: "standard-webhooks")
        }
        let id: String
        do {
            id = try JSONField.requiredIdentifier(data, "id", provider: "standard-webhooks")
        } catch {
            throw WebhookRejection(error.reason.replacingOccurrences(of: "\"id\"", with: "\"data.id\""))
        }
        let action: EventAction = switch eventType[eventType.index(after: dot)...].lowercased() {
        case "created", "create": .create
        case "updated", "update": .update
        case "deleted", "delete": .delete
        default: .changed
        }
        return [EventEnvelope(
            key: EntityKey(source: source, type: type, id: id), action: action,
            deliveryID: request.headers[StandardWebhooks.idHeader], receivedAt: request.receivedAt,
            occurredAt: JSONField.isoDate(object["timestamp"]), extras: ["event_type": eventType],
            raw: request.rawRequest())]
    }
}

/// Verifies Standard Webhooks signatures, and makes them for requests HookSync sends itself.
///
/// A signature is HMAC-SHA256 over `<webhook-id>.<webhook-timestamp>.<body>` with the key of a
/// `whsec_<base64>` secret. Several secrets may be configured while a key is rotated: a signature
/// by any of them is valid, and the header may list several signatures (the sender's rotation).
/// The timestamp must be within `tolerance` of now, so a captured request cannot be replayed later.
///
/// ```swift
/// let verifier = StandardWebhooksVerifier(secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
/// let signature = verifier.sign(id: "msg_1", timestamp: "1614265330", body: body)  // "v1,…"
/// try verifier.verify(id: "msg_1", timestamp: "1614265330", signatureHeader: signature, body: body, now: Date())
/// ```
public struct StandardWebhooksVerifier: Sendable {
    private let keys: [SymmetricKey]
    public let tolerance: Duration

    /// Secrets are read by `StandardWebhooksSecret` (`whsec_<base64 key>`); one with no key is dropped
    /// (the config loader refuses it first), because an empty HMAC key would let anyone sign.
    public init(secrets: [String], tolerance: Duration = .seconds(300)) {
        keys = secrets.compactMap { try? StandardWebhooksSecret.key(of: $0) }.map { SymmetricKey(data: $0) }
        self.tolerance = tolerance
    }

    /// Checks the three Standard Webhooks headers of a request against its body.
    public func verify(headers: [String: String], body: Data, now: Date) throws(WebhookSignatureError) {
        func header(_ name: String) throws(WebhookSignatureError) -> String {
            guard let value = headers[name], !value.isEmpty else { throw .missingHeader(name) }
            return value
        }
        try verify(
            id: try header(StandardWebhooks.idHeader), timestamp: try header(StandardWebhooks.timestampHeader),
            signatureHeader: try header(StandardWebhooks.signatureHeader), body: body, now: now)
    }

    /// What can be checked before the body is read: a usable secret, a fresh timestamp, and a v1
    /// signature to compare. A receiver refuses early what fails here; the signature itself needs the body.
    public func checkBeforeBody(timestamp: String, signatureHeader: String, now: Date) throws(WebhookSignatureError) {
        guard !keys.isEmpty else { throw .noSecretConfigured }
        guard !timestamp.isEmpty, timestamp.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let seconds = Int64(timestamp)
        else { throw .malformedTimestamp }
        let age = now.timeIntervalSince1970 - Double(seconds)
        let limit = Double(tolerance.components.seconds) + Double(tolerance.components.attoseconds) / 1e18
        guard age <= limit else { throw .timestampTooOld(tolerance: tolerance) }
        guard age >= -limit else { throw .timestampInTheFuture(tolerance: tolerance) }
        guard !Self.version1Signatures(signatureHeader).isEmpty else { throw .noVersion1Signature }
    }

    private static func version1Signatures(_ header: String) -> [Substring] {
        header.split(separator: " ").compactMap { entry -> Substring? in
            let parts = entry.split(separator: ",", maxSplits: 1)
            return parts.count == 2 && parts[0] == "v1" ? parts[1] : nil
        }
    }

    public func verify(id: String, timestamp: String, signatureHeader: String, body: Data, now: Date) throws(WebhookSignatureError) {
        try checkBeforeBody(timestamp: timestamp, signatureHeader: signatureHeader, now: now)
        let version1Signatures = Self.version1Signatures(signatureHeader)
        let content = Self.signedContent(id: id, timestamp: timestamp, body: body)
        for encoded in version1Signatures {
            guard let signature = Data(base64Encoded: String(encoded)) else { continue }
            // isValidAuthenticationCode compares in constant time, so timing tells nothing about the key.
            for key in keys where HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: content, using: key) {
                return
            }
        }
        throw .noMatchingSignature
    }

    /// `v1,<base64>` for the content, with the first secret: what a sender puts in `webhook-signature`.
    /// Needs at least one usable secret (see `hasSecrets`): a request signed with no key must never leave.
    public func sign(id: String, timestamp: String, body: Data) -> String {
        precondition(!keys.isEmpty, "StandardWebhooksVerifier.sign needs at least one non-empty secret")
        let code = HMAC<SHA256>.authenticationCode(for: Self.signedContent(id: id, timestamp: timestamp, body: body), using: keys[0])
        return "v1," + Data(code).base64EncodedString()
    }

    /// Whether any usable secret was given; without one, every verification fails.
    public var hasSecrets: Bool { !keys.isEmpty }

    private static func signedContent(id: String, timestamp: String, body: Data) -> Data {
        Data("\(id).\(timestamp).".utf8) + body
    }
}

/// Why a Standard Webhooks signature was refused; descriptions name the header at fault and never a secret.
public enum WebhookSignatureError: Error, Sendable, Hashable, CustomStringConvertible {
    case missingHeader(String)
    case malformedTimestamp
    case timestampTooOld(tolerance: Duration)
    case timestampInTheFuture(tolerance: Duration)
    case noVersion1Signature
    case noMatchingSignature
    case noSecretConfigured

    public var description: String {
        switch self {
        case .missingHeader(let name): "the \(name) header is missing"
        case .malformedTimestamp: "webhook-timestamp is not a whole number of Unix seconds"
        case .timestampTooOld(let tolerance):
            "webhook-timestamp is more than \(Self.describe(tolerance)) old (a replayed request, or the sender's clock is behind)"
        case .timestampInTheFuture(let tolerance):
            "webhook-timestamp is more than \(Self.describe(tolerance)) in the future (the sender's clock is ahead)"
        case .noVersion1Signature: "webhook-signature has no v1,<base64> signature"
        case .noMatchingSignature: "no v1 signature matches the body with any configured secret"
        case .noSecretConfigured: "no usable signing secret is configured for this source"
        }
    }

    private static func describe(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        if seconds % 60 == 0 { return seconds == 60 ? "1 minute" : "\(seconds / 60) minutes" }
        return seconds == 1 ? "1 second" : "\(seconds) seconds"
    }
}
