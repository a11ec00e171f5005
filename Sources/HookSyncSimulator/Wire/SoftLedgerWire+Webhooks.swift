import HookSyncCore

/// SoftLedger's webhooks (docs/providers.md): `POST {"uuid", "date", "objectType",
/// "action", "objectId", "tenantId"}`, `uuid` unique per webhook, `objectType` the API object's name
/// (`LedgerAccount`), `action` free text such as "LedgerAccount Updated". Bulk actions send none:
/// the driver makes those changes without asking for webhooks.
extension SoftLedgerWire {
    func webhooks(for changes: [EntityChange], _ context: inout WebhookContext) -> [WebhookDelivery] {
        changes.map { change in
            let objectType = Self.objectType(change.type)
            let verb = switch change.action {
            case .create: "Created"
            case .update: "Updated"
            case .delete: "Deleted"
            case .renumber: preconditionFailure("SoftLedger does not renumber")
            }
            let body = JSONValue.object([
                "uuid": .string(context.random.uuid()), "date": .string(WireTime.iso(change.at, fraction: true)),
                "objectType": .string(objectType), "action": .string("\(objectType) \(verb)"),
                "objectId": .identifier(change.id), "tenantId": .string(credentials.softledgerTenant),
            ])
            return WebhookDelivery(provider: .softledger, body: body.bytes, contentType: "application/json")
        }
    }

    /// `ledger_account` → `LedgerAccount`, the spelling of SoftLedger's API objects.
    static func objectType(_ type: String) -> String {
        type.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}
