public import HookSyncCore
import Foundation

/// Precoro (procurement). Wire facts from ../shared/seeds/precoro-webhooks.txt and PROVIDERS.md.
public enum Precoro {
    /// Webhook `type` codes → HookSync's entity type names.
    public static let typeNames: [Int: String] = [
        0: "warehouse_request", 1: "purchase_requisition", 2: "purchase_order", 3: "invoice", 4: "rfp",
        5: "receipt", 6: "expense", 7: "supplier", 8: "stock_transfer", 9: "budget",
        10: "document_custom_field", 11: "item_custom_field",
    ]
}

/// Parses `POST {"id": 123456, "type": 2, "action": 0, "idn": 5}`: one event per request.
/// Precoro sends no delivery id; it already drops repeats of one action within 30 s itself.
public struct PrecoroWebhookParser: WebhookParser {
    public init() {}

    public func parse(_ request: WebhookRequest, source: String) throws(WebhookRejection) -> [EventEnvelope] {
        let object: [String: Any]
        do {
            object = try request.jsonObject(provider: "precoro")
        } catch {
            // Precoro's own documentation shows a trailing comma (`"idn":5,}`): accept exactly that slip,
            // and only after the strict parse failed, so well-formed bodies never pay for the regex.
            guard let text = String(data: request.body, encoding: .utf8),
                  text.range(of: #",\s*\}\s*$"#, options: .regularExpression) != nil
            else { throw error }
            var lenient = request
            lenient.body = Data(text.replacingOccurrences(of: #",\s*\}\s*$"#, with: "}", options: .regularExpression).utf8)
            object = try lenient.jsonObject(provider: "precoro")
        }
        guard let id = JSONField.identifier(object["id"]) else { throw WebhookRejection("precoro: \"id\" is missing or not an id") }
        guard let code = JSONField.integer(object["type"]) else { throw WebhookRejection("precoro: \"type\" is missing or not a number") }
        guard let type = Precoro.typeNames[code] else { throw WebhookRejection("precoro: unknown type code \(code) (known: 0–11)") }
        let action: EventAction
        switch JSONField.integer(object["action"]) {
        case 0: action = .create
        case 1: action = .update
        case let other: throw WebhookRejection("precoro: unknown action \(other.map(String.init) ?? "(missing)") (0 create, 1 update)")
        }
        var extras: [String: String] = [:]
        if let idn = JSONField.identifier(object["idn"]) { extras["idn"] = idn }
        return [EventEnvelope(
            key: EntityKey(source: source, type: type, id: id), action: action, receivedAt: request.receivedAt,
            extras: extras, raw: request.rawRequest())]
    }
}
