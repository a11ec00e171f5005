/// Precoro's webhooks (docs/providers.md): `POST {"id": 123456, "type": 2, "action": 0, "idn": 5}`
/// with a numeric type code, action 0 create or 1 update, and `idn` where the entity has one. No
/// delivery id, and no deletions: Precoro cancels documents instead (the driver makes a delete a
/// cancellation). Precoro sends the same action on the same entity at most once per 30 s, so a
/// repeat within that window is not announced.
extension PrecoroWire {
    /// HookSync's entity type names → Precoro's webhook type codes.
    static let webhookTypeCodes: [String: Int] = [
        "warehouse_request": 0, "purchase_requisition": 1, "purchase_order": 2, "invoice": 3, "rfp": 4, "receipt": 5,
        "expense": 6, "supplier": 7, "stock_transfer": 8, "budget": 9, "document_custom_field": 10, "item_custom_field": 11,
    ]
    /// Milliseconds within which Precoro does not repeat an action on an entity.
    static let repeatWindow: Int64 = 30_000

    func webhooks(for changes: [EntityChange], _ context: inout WebhookContext) -> [WebhookDelivery] {
        changes.compactMap { change in
            let action: Int64 = switch change.action {
            case .create: 0
            case .update: 1
            case .delete, .renumber: preconditionFailure("Precoro announces only creates and updates")
            }
            let announcement = "\(change.type)/\(change.id)/\(action)"
            if let last = context.lastAnnounced[announcement], change.at - last < Self.repeatWindow { return nil }
            context.lastAnnounced[announcement] = change.at
            guard let code = Self.webhookTypeCodes[change.type] else {
                preconditionFailure("Precoro has no webhook type code for \(change.type)")
            }
            var body: [String: JSONValue] = ["id": .identifier(change.id), "type": .int(Int64(code)), "action": .int(action)]
            if let idn = change.idn { body["idn"] = .int(Int64(idn)) }
            return WebhookDelivery(provider: .precoro, body: JSONValue.object(body).bytes, contentType: "application/json")
        }
    }
}
