import HookSyncCore

/// Kladana's webhooks in either form (docs/providers.md):
///
/// - JSON API: `POST ?requestId=<uuid>` with `{"auditContext": {…, "moment"}, "events": [{"meta":
///   {"type", "href"}, "action": "CREATE|UPDATE|DELETE", "accountId", "updatedFields"}]}`. Changes
///   made at once (a bulk import) share a request, up to `eventsPerRequest` of them.
/// - Workflow: `GET ?id=<id>&type=CustomerOrder`, one per change, saying only that it changed.
extension KladanaWire {
    /// How many events one JSON API request carries at most. Kladana documents "several"; the
    /// number is the simulator's assumption.
    static let eventsPerRequest = 10

    /// The JSON API's entity names → the workflow webhook's type names.
    static let workflowTypeNames: [String: String] = [
        "customerorder": "CustomerOrder", "invoiceout": "InvoiceOut", "purchaseorder": "PurchaseOrder",
        "invoicein": "InvoiceIn", "demand": "Demand", "supply": "Supply", "productiontask": "ProductionTask",
        "paymentin": "PaymentIn", "paymentout": "PaymentOut", "cashin": "CashIn", "cashout": "CashOut",
        "salesreturn": "SalesReturn", "move": "Move", "purchasereturn": "PurchaseReturn",
    ]

    func webhooks(for changes: [EntityChange], _ context: inout WebhookContext) -> [WebhookDelivery] {
        switch context.kladanaForm {
        case .workflow:
            return changes.map { change in
                guard let typeName = Self.workflowTypeNames[change.type] else {
                    preconditionFailure("Kladana has no workflow webhook type for \(change.type)")
                }
                return WebhookDelivery(
                    provider: .kladana, method: .get,
                    query: [.init(name: "id", value: change.id), .init(name: "type", value: typeName)])
            }
        case .jsonAPI:
            return stride(from: 0, to: changes.count, by: Self.eventsPerRequest).map { start in
                let batch = changes[start..<min(changes.count, start + Self.eventsPerRequest)]
                return jsonAPIWebhook(for: batch, &context)
            }
        }
    }

    private func jsonAPIWebhook(for batch: ArraySlice<EntityChange>, _ context: inout WebhookContext) -> WebhookDelivery {
        let events: [JSONValue] = batch.map { change in
            var event: [String: JSONValue] = [
                "meta": .object(["type": .string(change.type), "href": .string(href(type: change.type, id: change.id, origin: context.origin))]),
                "accountId": .string(context.kladanaAccountID),
            ]
            switch change.action {
            case .create: event["action"] = .string("CREATE")
            case .update:
                event["action"] = .string("UPDATE")
                event["updatedFields"] = .array(change.updatedFields.map(JSONValue.string))
            case .delete: event["action"] = .string("DELETE")
            case .renumber: preconditionFailure("Kladana does not renumber")
            }
            return .object(event)
        }
        let moment = WireTime.local(batch.last?.at ?? 0, offsetSeconds: WireTime.moscow, separator: " ", fraction: false)
        let body = JSONValue.object([
            "auditContext": .object([
                "meta": .object(["type": .string("audit"), "href": .string(context.origin + provider.pathPrefix + "/audit/" + context.random.uuid())]),
                "moment": .string(moment), "uid": .string("admin@simulator"),
            ]),
            "events": .array(events),
        ])
        return WebhookDelivery(
            provider: .kladana, query: [.init(name: "requestId", value: context.random.uuid())], body: body.bytes,
            contentType: "application/json", changes: batch.count)
    }
}
