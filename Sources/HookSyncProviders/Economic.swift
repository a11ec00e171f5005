import Foundation
public import HookSyncCore

/// Parses e-conomic's webhooks, whose only content is the merge fields e-conomic substitutes into
/// the URL the receiver registered.
///
/// e-conomic has one URL per webhook type and says nothing about the type in the request, so the
/// entity type is the `{type}` segment of `/hooks/{source}/{type}`. Wire facts
/// (docs/providers.md, "e-conomic"):
/// - "<Thing> updated" hooks send `newnumber` and `oldnumber` (always both, blank when unused):
///   old blank → create, new blank → delete, equal → update, different → renumber.
/// - "Invoice booked" sends `invoiceno`, "Product inventory updated" `number`, "Day book booked"
///   `daybookno` with `fromserialno` and `toserialno`: each becomes a `.changed` event.
/// The body ("Data posted") is free text; it is kept in the raw request but not read.
///
/// ```swift
/// // POST /hooks/erp/customer?newnumber=34&oldnumber=33
/// let envelopes = try EconomicWebhookParser().parse(request, source: "erp")
/// // [erp/customer/34 renumber, extras ["old_number": "33"]]
/// ```
public struct EconomicWebhookParser: WebhookParser {
    public init() {}

    public func parse(_ request: WebhookRequest, source: String) throws(WebhookRejection) -> [EventEnvelope] {
        guard let rawType = request.urlType, !rawType.isEmpty else {
            throw WebhookRejection(
                "economic: no entity type in the URL; register it as /hooks/\(source)/<type>?newnumber=[NEWNUMBER]&oldnumber=[OLDNUMBER]")
        }
        let type = rawType.lowercased()
        guard JSONField.isTypeName(type) else {
            throw WebhookRejection("economic: \(String(reflecting: rawType)) in the URL is not an entity type name (a letter, then letters, digits or _)")
        }
        let fields = Self.mergeFields(request.query)
        try Self.rejectUnsubstituted(fields)

        func envelope(_ id: String, _ action: EventAction, _ extras: [String: String] = [:]) -> EventEnvelope {
            EventEnvelope(key: EntityKey(source: source, type: type, id: id), action: action,
                          receivedAt: request.receivedAt, extras: extras, raw: request.rawRequest())
        }

        switch (fields["newnumber"], fields["oldnumber"]) {
        case (let new?, let old?):
            switch (new.isEmpty, old.isEmpty) {
            case (true, true): throw WebhookRejection("economic: both newnumber and oldnumber are blank")
            case (false, true): return [envelope(new, .create)]
            case (true, false): return [envelope(old, .delete)]
            case (false, false) where new == old: return [envelope(new, .update)]
            case (false, false): return [envelope(new, .renumber, ["old_number": old])]
            }
        case (.some, nil), (nil, .some):
            // e-conomic always sends both when both are registered, so one alone means the URL is
            // incomplete: creates and updates could not be told apart, and deletes would look blank.
            let missing = fields["newnumber"] == nil ? "newnumber" : "oldnumber"
            throw WebhookRejection(
                "economic: the URL has no \(missing); register it as /hooks/\(source)/\(type)?newnumber=[NEWNUMBER]&oldnumber=[OLDNUMBER]")
        case (nil, nil):
            break
        }

        if let invoice = fields["invoiceno"] { return [envelope(try Self.nonBlank(invoice, "invoiceno"), .changed)] }
        if let product = fields["number"] { return [envelope(try Self.nonBlank(product, "number"), .changed)] }
        if let daybook = fields["daybookno"] {
            var extras: [String: String] = [:]
            if let from = fields["fromserialno"], !from.isEmpty { extras["from_serial_no"] = from }
            if let to = fields["toserialno"], !to.isEmpty { extras["to_serial_no"] = to }
            return [envelope(try Self.nonBlank(daybook, "daybookno"), .changed, extras)]
        }
        throw WebhookRejection(
            "economic: no merge fields in the query string; expected newnumber and oldnumber, invoiceno, number or daybookno")
    }

    /// Query parameters with lowercased names, because people type `NEWNUMBER=[NEWNUMBER]` as often
    /// as `newnumber=`. A name already in lowercase wins over another spelling of it, so the result
    /// does not depend on dictionary order.
    static func mergeFields(_ query: [String: String]) -> [String: String] {
        var fields: [String: String] = [:]
        for (name, value) in query where name == name.lowercased() {
            fields[name] = value.trimmingCharacters(in: .whitespaces)
        }
        for (name, value) in query.sorted(by: { $0.key < $1.key }) where fields[name.lowercased()] == nil {
            fields[name.lowercased()] = value.trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    /// e-conomic leaves a misspelt merge field (`[NEWNUMBR]`) in the URL as it was typed.
    private static func rejectUnsubstituted(_ fields: [String: String]) throws(WebhookRejection) {
        for name in ["newnumber", "oldnumber", "invoiceno", "number", "daybookno"] {
            guard let value = fields[name], value.hasPrefix("["), value.hasSuffix("]") else { continue }
            throw WebhookRejection(
                "economic: \(name) is \"\(value)\", a merge field e-conomic did not fill in; check its spelling in the webhook URL")
        }
    }

    private static func nonBlank(_ value: String, _ name: String) throws(WebhookRejection) -> String {
        guard !value.isEmpty else { throw WebhookRejection("economic: \(name) is blank") }
        return value
    }
}
