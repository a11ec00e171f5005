import Foundation
public import HookSyncCore

/// e-conomic (accounting). Its webhooks carry merge fields in the URL the receiver registered
/// (`?newnumber=[NEWNUMBER]&oldnumber=[OLDNUMBER]`), one URL per webhook type, so the entity type is
/// the `{type}` segment of `/hooks/{source}/{type}`. Wire facts from seeds/economic-webhooks.txt.
public struct EconomicWebhookParser: WebhookParser {
    public init() {}

    public func parse(_ request: WebhookRequest, source: String) throws(WebhookRejection) -> [EventEnvelope] {
        guard let rawType = request.urlType, !rawType.isEmpty else {
            throw WebhookRejection("economic: no entity type in the URL; register it as /hooks/\(source)/<type>?newnumber=[NEWNUMBER]&oldnumber=[OLDNUMBER]")
        }
        let type = rawType.lowercased()
        guard JSONField.isTypeName(type) else {
            throw WebhookRejection("economic: \"\(rawType)\" is not an entity type name (letters, digits, _)")
        }
        // Users type merge fields in either case when they set the hook up.
        var fields: [String: String] = [:]
        for (name, value) in request.query { fields[name.lowercased()] = value.trimmingCharacters(in: .whitespaces) }

        func envelope(_ id: String, _ action: EventAction, _ extras: [String: String] = [:]) -> EventEnvelope {
            EventEnvelope(key: EntityKey(source: source, type: type, id: id), action: action,
                          receivedAt: request.receivedAt, extras: extras, raw: request.rawRequest())
        }

        if fields.keys.contains("newnumber") || fields.keys.contains("oldnumber") {
            let new = fields["newnumber"] ?? "", old = fields["oldnumber"] ?? ""
            switch (new.isEmpty, old.isEmpty) {
            case (true, true): throw WebhookRejection("economic: both newnumber and oldnumber are blank")
            case (false, true): return [envelope(new, .create)]
            case (true, false): return [envelope(old, .delete)]
            case (false, false) where new == old: return [envelope(new, .update)]
            case (false, false): return [envelope(new, .renumber, ["old_number": old])]
            }
        }
        // The single-number hooks: "Invoice booked" ([INVOICENO]), "Product inventory updated" ([NUMBER]),
        // "Day book booked" ([DAYBOOKNO], with the serial number span).
        for field in ["invoiceno", "number", "daybookno"] {
            guard let number = fields[field], !number.isEmpty else { continue }
            var extras: [String: String] = [:]
            if let from = fields["fromserialno"], !from.isEmpty { extras["from_serial_no"] = from }
            if let to = fields["toserialno"], !to.isEmpty { extras["to_serial_no"] = to }
            return [envelope(number, .changed, extras)]
        }
        throw WebhookRejection("economic: no merge fields in the URL (newnumber/oldnumber, invoiceno, number or daybookno)")
    }
}
