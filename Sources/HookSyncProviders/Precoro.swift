import Foundation
public import HookSyncCore

/// Precoro's webhook vocabulary: the numeric entity `type` codes its notifications carry.
///
/// Wire facts (docs/providers.md, "Precoro"): `POST {"id": 123456, "type": 2, "action": 0, "idn": 5}`,
/// action 0 create and 1 update only (Precoro does not notify deletions).
///
/// ```swift
/// Precoro.typeNames[2]  // "purchase_order"
/// ```
public enum Precoro {
    /// Webhook `type` codes → HookSync's entity type names.
    public static let typeNames: [Int: String] = [
        0: "warehouse_request", 1: "purchase_requisition", 2: "purchase_order", 3: "invoice", 4: "rfp",
        5: "receipt", 6: "expense", 7: "supplier", 8: "stock_transfer", 9: "budget",
        10: "document_custom_field", 11: "item_custom_field",
    ]

    /// The body with every comma that follows a value and directly precedes a `}` (outside strings)
    /// removed, or `nil` when there is none. Precoro's own documentation shows such a body
    /// (`"idn":5,}`), so a sender that copied it must not be quarantined; nothing else about invalid
    /// JSON is forgiven (`{,}` and `0,,}` stay invalid).
    static func removingTrailingCommas(from body: Data) -> Data? {
        let bytes = Array(body)
        var kept: [UInt8] = []
        kept.reserveCapacity(bytes.count)
        var removed = false
        var inString = false
        var escaped = false
        var lastSignificant: UInt8?
        for (index, byte) in bytes.enumerated() {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: ","), lastSignificant != UInt8(ascii: ","), lastSignificant != UInt8(ascii: "{"),
                      bytes[(index + 1)...].first(where: { !isJSONWhitespace($0) }) == UInt8(ascii: "}") {
                removed = true
                continue
            }
            if !isJSONWhitespace(byte) { lastSignificant = byte }
            kept.append(byte)
        }
        return removed ? Data(kept) : nil
    }

    private static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t")
    }
}

/// Parses Precoro's webhook `POST {"id": 123456, "type": 2, "action": 0, "idn": 5}` into one envelope.
///
/// The entity is keyed by `id` (a number or a string); `idn`, the document number Precoro's API
/// fetches documents by, travels in `extras["idn"]`. Precoro sends no delivery id; it already drops
/// repeats of one action on one entity within 30 s itself.
///
/// ```swift
/// let envelopes = try PrecoroWebhookParser().parse(request, source: "procurement")
/// // [procurement/purchase_order/123456 create, extras ["idn": "5"]]
/// ```
public struct PrecoroWebhookParser: WebhookParser {
    public init() {}

    public func parse(_ request: WebhookRequest, source: String) throws(WebhookRejection) -> [EventEnvelope] {
        let object = try Self.jsonObject(request)
        let id = try JSONField.requiredIdentifier(object, "id", provider: "precoro")
        let code = try JSONField.requiredInteger(object, "type", provider: "precoro")
        guard let type = Precoro.typeNames[code] else { throw WebhookRejection("precoro: unknown type code \(code) (known: 0–11)") }
        let action: EventAction
        switch try JSONField.requiredInteger(object, "action", provider: "precoro") {
        case 0: action = .create
        case 1: action = .update
        case let other: throw WebhookRejection("precoro: unknown action code \(other) (known: 0 create, 1 update)")
        }
        var extras: [String: String] = [:]
        if let idn = JSONField.identifier(object["idn"]) { extras["idn"] = idn }
        return [EventEnvelope(
            key: EntityKey(source: source, type: type, id: id), action: action, receivedAt: request.receivedAt,
            extras: extras, raw: request.rawRequest())]
    }

    /// Strict first, so well-formed bodies never pay for the repair; the repair only ever removes
    /// trailing commas, and if it does not help, the reason is the strict parse's.
    private static func jsonObject(_ request: WebhookRequest) throws(WebhookRejection) -> [String: Any] {
        do {
            return try request.jsonObject(provider: "precoro")
        } catch {
            guard let repaired = Precoro.removingTrailingCommas(from: request.body) else { throw error }
            var lenient = request
            lenient.body = repaired
            guard let object = try? lenient.jsonObject(provider: "precoro") else { throw error }
            return object
        }
    }
}
