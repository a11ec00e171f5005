import Foundation
public import HookSyncCore

/// Parses SoftLedger's webhook `POST {uuid, date, objectType, action, objectId, tenantId}` into one envelope.
///
/// Wire facts from docs/providers.md ("SoftLedger"). `uuid` is unique per webhook, so it is the
/// delivery id. The entity type is `objectType` in snake_case (`LedgerAccount` → `ledger_account`);
/// the original spelling and the tenant travel in `extras` because SoftLedger's API is addressed by them.
///
/// ```swift
/// let envelopes = try SoftLedgerWebhookParser().parse(request, source: "ledger")
/// // [ledger/ledger_account/42 update, delivery id "5c1e…", extras ["object_type": "LedgerAccount", "tenant_id": "t-1"]]
/// ```
public struct SoftLedgerWebhookParser: WebhookParser {
    public init() {}

    public func parse(_ request: WebhookRequest, source: String) throws(WebhookRejection) -> [EventEnvelope] {
        let object = try request.jsonObject(provider: "softledger")
        let uuid = try JSONField.requiredIdentifier(object, "uuid", provider: "softledger")
        guard let objectType = object["objectType"] as? String, !objectType.isEmpty else {
            throw JSONField.missingOrWrong(object["objectType"], "objectType", expected: "an object type name", provider: "softledger")
        }
        let objectID = try JSONField.requiredIdentifier(object, "objectId", provider: "softledger")
        let type = JSONField.snakeCase(objectType)
        guard JSONField.isTypeName(type) else {
            throw WebhookRejection("softledger: \"objectType\" \(String(reflecting: objectType)) is not an object type name")
        }
        var extras = ["object_type": objectType]
        if let tenant = JSONField.identifier(object["tenantId"]) { extras["tenant_id"] = tenant }
        return [EventEnvelope(
            key: EntityKey(source: source, type: type, id: objectID),
            action: Self.action(fromDescription: object["action"] as? String ?? ""),
            deliveryID: uuid, receivedAt: request.receivedAt, occurredAt: JSONField.isoDate(object["date"]),
            extras: extras, raw: request.rawRequest())]
    }

    /// SoftLedger's action is free text ("LedgerAccount Updated", "Bill Paid"); only a create, update
    /// or delete verb in it changes what the worker does, anything else is a plain change.
    static func action(fromDescription text: String) -> EventAction {
        let lowered = text.lowercased()
        if lowered.contains("delet") { return .delete }
        if lowered.contains("creat") { return .create }
        if lowered.contains("updat") { return .update }
        return .changed
    }
}
