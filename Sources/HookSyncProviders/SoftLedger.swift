import Foundation
public import HookSyncCore

/// SoftLedger (accounting): `POST {uuid, date, objectType, action, objectId, tenantId}`; `uuid` is
/// unique per webhook, so it is the delivery id. Wire facts from seeds/softledger-webhooks.txt.
public struct SoftLedgerWebhookParser: WebhookParser {
    public init() {}

    public func parse(_ request: WebhookRequest, source: String) throws(WebhookRejection) -> [EventEnvelope] {
        let object = try request.jsonObject(provider: "softledger")
        guard let uuid = JSONField.identifier(object["uuid"]) else { throw WebhookRejection("softledger: \"uuid\" is missing") }
        guard let objectType = object["objectType"] as? String, !objectType.isEmpty else {
            throw WebhookRejection("softledger: \"objectType\" is missing")
        }
        guard let objectID = JSONField.identifier(object["objectId"]) else { throw WebhookRejection("softledger: \"objectId\" is missing") }
        let type = JSONField.snakeCase(objectType)
        guard JSONField.isTypeName(type) else { throw WebhookRejection("softledger: \"\(objectType)\" is not an object type name") }
        var extras = ["object_type": objectType]
        if let tenant = JSONField.identifier(object["tenantId"]) { extras["tenant_id"] = tenant }
        return [EventEnvelope(
            key: EntityKey(source: source, type: type, id: objectID),
            action: Self.action(fromDescription: object["action"] as? String ?? ""),
            deliveryID: uuid, receivedAt: request.receivedAt, occurredAt: JSONField.isoDate(object["date"]),
            extras: extras, raw: request.rawRequest())]
    }

    /// SoftLedger's action is free text ("LedgerAccount Updated"); only its verb matters here.
    static func action(fromDescription text: String) -> EventAction {
        let lowered = text.lowercased()
        if lowered.contains("delet") { return .delete }
        if lowered.contains("creat") { return .create }
        if lowered.contains("updat") { return .update }
        return .changed
    }
}
