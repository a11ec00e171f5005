public import Foundation
public import HookSyncCore

/// Kladana / MoySklad (inventory, ERP). Two webhook forms: workflow webhooks (`?id=…&type=CustomerOrder`,
/// GET or POST) and JSON API webhooks (a body with an `events` array, `?requestId=` in the URL).
/// Wire facts from seeds/kladana-webhooks.txt and PROVIDERS.md.
public enum Kladana {
    /// Workflow type names → the JSON API's entity names.
    public static let workflowTypes: [String: String] = [
        "CustomerOrder": "customerorder", "InvoiceOut": "invoiceout", "PurchaseOrder": "purchaseorder",
        "InvoiceIn": "invoicein", "Demand": "demand", "Supply": "supply", "ProductionTask": "productiontask",
        "PaymentIn": "paymentin", "PaymentOut": "paymentout", "CashIn": "cashin", "CashOut": "cashout",
        "SalesReturn": "salesreturn", "Move": "move", "PurchaseReturn": "purchasereturn",
    ]

    /// Kladana's times are Moscow time (UTC+3, no daylight saving): `2024-06-10 12:00:00[.123]`.
    public static func parseMoscowTime(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 3 * 3600)
        for format in ["yyyy-MM-dd HH:mm:ss.SSS", "yyyy-MM-dd HH:mm:ss"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}

public struct KladanaWebhookParser: WebhookParser {
    public init() {}

    public func parse(_ request: WebhookRequest, source: String) throws(WebhookRejection) -> [EventEnvelope] {
        if let id = request.query["id"], let typeName = request.query["type"], request.body.isEmpty || request.method == "GET" {
            return [try workflowEvent(id: id, typeName: typeName, request: request, source: source)]
        }
        return try apiEvents(request, source: source)
    }

    func workflowEvent(id: String, typeName: String, request: WebhookRequest, source: String) throws(WebhookRejection) -> EventEnvelope {
        guard !id.isEmpty else { throw WebhookRejection("kladana: \"id\" is blank") }
        let type: String
        if let known = Kladana.workflowTypes[typeName] {
            type = known
        } else if typeName.range(of: "^[A-Za-z]+$", options: .regularExpression) != nil {
            type = typeName.lowercased()  // Kladana has more entity types than its workflow docs list.
        } else {
            throw WebhookRejection("kladana: \"\(typeName)\" is not an entity type")
        }
        return EventEnvelope(key: EntityKey(source: source, type: type, id: id), action: .changed,
                             receivedAt: request.receivedAt, raw: request.rawRequest())
    }

    func apiEvents(_ request: WebhookRequest, source: String) throws(WebhookRejection) -> [EventEnvelope] {
        let object = try request.jsonObject(provider: "kladana")
        guard let events = object["events"] as? [[String: Any]] else {
            throw WebhookRejection("kladana: neither ?id=&type= nor a JSON body with an \"events\" array")
        }
        guard !events.isEmpty else { throw WebhookRejection("kladana: the \"events\" array is empty") }
        let requestID = request.query["requestId"].flatMap { $0.isEmpty ? nil : $0 }
        let moment = ((object["auditContext"] as? [String: Any])?["moment"] as? String).flatMap(Kladana.parseMoscowTime)
        var envelopes: [EventEnvelope] = []
        for (index, event) in events.enumerated() {
            let meta = event["meta"] as? [String: Any]
            guard let type = meta?["type"] as? String, !type.isEmpty else { throw WebhookRejection("kladana: event \(index) has no meta.type") }
            guard let href = meta?["href"] as? String, let id = Self.lastPathComponent(of: href) else {
                throw WebhookRejection("kladana: event \(index) has no meta.href with an entity id")
            }
            let action: EventAction
            switch (event["action"] as? String)?.uppercased() {
            case "CREATE": action = .create
            case "UPDATE": action = .update
            case "DELETE": action = .delete
            case "PROCESSED": action = .changed
            case let other: throw WebhookRejection("kladana: event \(index) has unknown action \(other ?? "(missing)")")
            }
            var extras: [String: String] = [:]
            if let fields = event["updatedFields"] as? [String], !fields.isEmpty { extras["updated_fields"] = fields.joined(separator: ",") }
            // One request carries several events and is retried whole with the same requestId.
            envelopes.append(EventEnvelope(
                key: EntityKey(source: source, type: type.lowercased(), id: id), action: action,
                deliveryID: requestID.map { "\($0)#\(index)" }, receivedAt: request.receivedAt, occurredAt: moment,
                extras: extras, raw: request.rawRequest()))
        }
        return envelopes
    }

    static func lastPathComponent(of href: String) -> String? {
        let path = href.split(separator: "?", maxSplits: 1).first.map(String.init) ?? href
        guard let last = path.split(separator: "/").last, !last.isEmpty, path.contains("/") else { return nil }
        return String(last)
    }
}
