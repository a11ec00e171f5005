public import Foundation
public import HookSyncCore

/// Kladana's (MoySklad's) webhook vocabulary: workflow type names and its Moscow-time timestamps.
///
/// ```swift
/// Kladana.workflowTypes["CustomerOrder"]              // "customerorder"
/// Kladana.parseMoscowTime("2024-06-10 12:00:00")     // 2024-06-10T09:00:00Z
/// ```
public enum Kladana {
    /// Workflow webhook type names (docs/providers.md, "Kladana") → the JSON API's entity names.
    public static let workflowTypes: [String: String] = [
        "CustomerOrder": "customerorder", "InvoiceOut": "invoiceout", "PurchaseOrder": "purchaseorder",
        "InvoiceIn": "invoicein", "Demand": "demand", "Supply": "supply", "ProductionTask": "productiontask",
        "PaymentIn": "paymentin", "PaymentOut": "paymentout", "CashIn": "cashin", "CashOut": "cashout",
        "SalesReturn": "salesreturn", "Move": "move", "PurchaseReturn": "purchasereturn",
    ]

    /// Kladana's clock: Moscow time, UTC+3 all year (Russia has had no daylight saving since 2014).
    public static let timeZone = TimeZone(secondsFromGMT: 3 * 3600)!

    /// Reads Kladana's `yyyy-MM-dd HH:mm:ss` with optional fractional seconds (`.SSS`) as Moscow time;
    /// `nil` for anything else, including impossible dates such as February 30.
    public static func parseMoscowTime(_ text: String) -> Date? {
        LocalTimestamp.parse(text, in: timeZone, separators: [UInt8(ascii: " ")])
    }

    /// Writes a time as Kladana's filters expect it: `yyyy-MM-dd HH:mm:ss` in Moscow time.
    public static func formatMoscowTime(_ date: Date) -> String {
        LocalTimestamp.format(date, in: timeZone, separator: " ")
    }
}

/// Parses Kladana's two webhook forms into envelopes.
///
/// - Workflow webhooks: a GET or POST to the registered URL with `?id=<id>&type=CustomerOrder`
///   substituted in; the body, if any, is not read. One `.changed` event; no delivery id.
/// - JSON API webhooks: `POST ?requestId=<uuid>` with a body `{"auditContext": {"moment": …},
///   "events": [{"meta": {"type", "href"}, "action": "CREATE|UPDATE|DELETE|PROCESSED", …}]}`.
///   One envelope per event, with delivery id `<requestId>#<index>`: Kladana retries the whole
///   request with the same `requestId`, so each event of a retry is recognised as a duplicate.
///
/// ```swift
/// // GET /hooks/inventory?id=1111-22dd&type=CustomerOrder
/// let envelopes = try KladanaWebhookParser().parse(request, source: "inventory")
/// // [inventory/customerorder/1111-22dd changed]
/// ```
public struct KladanaWebhookParser: WebhookParser {
    public init() {}

    public func parse(_ request: WebhookRequest, source: String) throws(WebhookRejection) -> [EventEnvelope] {
        let workflowID = request.query["id"], workflowType = request.query["type"]
        if workflowID != nil || workflowType != nil {
            // A JSON body with events wins: a JSON API webhook URL may carry parameters of its own.
            if !Self.isBlank(request.body), let object = try? request.jsonObject(provider: "kladana"), object["events"] != nil {
                return try apiEvents(object, request: request, source: source)
            }
            guard let workflowID, let workflowType else {
                throw WebhookRejection("kladana: the URL has \(workflowID == nil ? "type but no id" : "id but no type"); "
                    + "register the workflow webhook as /hooks/\(source)?id={id}&type={type}")
            }
            return [try workflowEvent(id: workflowID, typeName: workflowType, request: request, source: source)]
        }
        guard !Self.isBlank(request.body) else {
            throw WebhookRejection(
                "kladana: neither ?id=&type= in the URL (workflow webhook) nor a JSON body with \"events\" (JSON API webhook)")
        }
        return try apiEvents(try request.jsonObject(provider: "kladana"), request: request, source: source)
    }

    private func workflowEvent(id: String, typeName: String, request: WebhookRequest, source: String) throws(WebhookRejection) -> EventEnvelope {
        guard !id.isEmpty else { throw WebhookRejection("kladana: \"id\" is blank") }
        guard !id.contains("{") else {
            throw WebhookRejection("kladana: \"id\" is \(String(reflecting: id)), a placeholder the workflow did not fill in")
        }
        let type: String
        if let known = Kladana.workflowTypes[typeName] {
            type = known
        } else if !typeName.isEmpty, typeName.allSatisfy({ $0.isASCII && $0.isLetter }) {
            type = typeName.lowercased()  // Kladana has more entity types than its workflow docs list.
        } else {
            throw WebhookRejection("kladana: \(String(reflecting: typeName)) is not an entity type (expected letters only, e.g. CustomerOrder)")
        }
        return EventEnvelope(key: EntityKey(source: source, type: type, id: id), action: .changed,
                             receivedAt: request.receivedAt, raw: request.rawRequest())
    }

    private func apiEvents(_ object: [String: Any], request: WebhookRequest, source: String) throws(WebhookRejection) -> [EventEnvelope] {
        guard let eventsValue = object["events"] else {
            throw WebhookRejection("kladana: the JSON body has no \"events\" (and the URL has no ?id=&type= of a workflow webhook)")
        }
        guard let events = eventsValue as? [Any] else {
            throw WebhookRejection("kladana: \"events\" is \(JSONField.describe(eventsValue)), not an array")
        }
        guard !events.isEmpty else { throw WebhookRejection("kladana: no events (the \"events\" array is empty)") }
        let requestID = request.query["requestId"].flatMap { $0.isEmpty ? nil : $0 }
        let moment = ((object["auditContext"] as? [String: Any])?["moment"] as? String).flatMap(Kladana.parseMoscowTime)
        let raw = request.rawRequest()
        var envelopes: [EventEnvelope] = []
        for (index, element) in events.enumerated() {
            guard let event = element as? [String: Any] else {
                throw WebhookRejection("kladana: event \(index) is \(JSONField.describe(element)), not an object")
            }
            let meta = event["meta"] as? [String: Any]
            guard let type = meta?["type"] as? String, !type.isEmpty else { throw WebhookRejection("kladana: event \(index) has no meta.type") }
            guard JSONField.isTypeName(type) else {
                throw WebhookRejection("kladana: event \(index) has meta.type \(String(reflecting: type)), not an entity type name")
            }
            guard let href = meta?["href"] as? String, let id = Self.entityID(fromHref: href), id != type else {
                throw WebhookRejection("kladana: event \(index) has no meta.href ending in an entity id")
            }
            let action: EventAction
            guard let actionName = event["action"] as? String else { throw WebhookRejection("kladana: event \(index) has no action") }
            switch actionName.uppercased() {
            case "CREATE": action = .create
            case "UPDATE": action = .update
            case "DELETE": action = .delete
            case "PROCESSED": action = .changed
            default:
                throw WebhookRejection(
                    "kladana: event \(index) has unknown action \(String(reflecting: actionName)) (known: CREATE, UPDATE, DELETE, PROCESSED)")
            }
            var extras: [String: String] = [:]
            if let fields = event["updatedFields"] as? [String], !fields.isEmpty { extras["updated_fields"] = fields.joined(separator: ",") }
            envelopes.append(EventEnvelope(
                key: EntityKey(source: source, type: type, id: id), action: action,
                deliveryID: requestID.map { "\($0)#\(index)" }, receivedAt: request.receivedAt, occurredAt: moment,
                extras: extras, raw: raw))
        }
        return envelopes
    }

    /// `https://…/entity/customerorder/<id>?expand=x` → `<id>`; `nil` when the path ends in `/`.
    static func entityID(fromHref href: String) -> String? {
        let path = href.prefix { $0 != "?" && $0 != "#" }
        guard let slash = path.lastIndex(of: "/") else { return nil }
        let last = path[path.index(after: slash)...]
        return last.isEmpty ? nil : String(last)
    }

    private static func isBlank(_ body: Data) -> Bool {
        body.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }
    }
}
