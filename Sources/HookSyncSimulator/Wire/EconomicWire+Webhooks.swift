/// e-conomic's webhooks (docs/providers.md): a `POST` to the URL registered for the type,
/// with `[NEWNUMBER]` and `[OLDNUMBER]` filled in (HookSync's URL is `/hooks/{source}/{type}`). Old
/// blank: created; new blank: deleted; equal: updated; different: renumbered. The body is empty and
/// there is no delivery id.
extension EconomicWire {
    func webhooks(for changes: [EntityChange], _ context: inout WebhookContext) -> [WebhookDelivery] {
        changes.map { change in
            let (new, old) = switch change.action {
            case .create: (change.id, "")
            case .update: (change.id, change.id)
            case .delete: ("", change.id)
            case .renumber(let from): (change.id, from)
            }
            return WebhookDelivery(
                provider: .economic, pathSegment: change.type,
                query: [.init(name: "newnumber", value: new), .init(name: "oldnumber", value: old)])
        }
    }
}
