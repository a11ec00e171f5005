import HookSyncCore

/// A Standard Webhooks sender's webhooks (standardwebhooks.com, docs/providers.md): `POST {"type":
/// "order.updated", "timestamp", "data": {"id"}}` with a `webhook-id`, signed as it is sent.
extension StandardWebhooksWire {
    func webhooks(for changes: [EntityChange], _ context: inout WebhookContext) -> [WebhookDelivery] {
        changes.map { change in
            let event = switch change.action {
            case .create: "created"
            case .update: "updated"
            case .delete: "deleted"
            case .renumber: preconditionFailure("Standard Webhooks senders do not renumber")
            }
            let body = JSONValue.object([
                "type": .string("\(change.type).\(event)"), "timestamp": .string(WireTime.iso(change.at, fraction: true)),
                "data": .object(["id": .string(change.id)]),
            ])
            return WebhookDelivery(
                provider: .standardWebhooks, body: body.bytes, contentType: "application/json",
                standardWebhookID: "msg_" + context.random.hex(24))
        }
    }
}
