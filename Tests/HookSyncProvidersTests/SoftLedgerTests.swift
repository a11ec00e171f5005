import Foundation
import HookSyncCore
import HookSyncProviders
import Testing

@Suite("SoftLedger webhooks")
struct SoftLedgerTests {
    let parser = SoftLedgerWebhookParser()

    func parse(_ body: String) throws -> EventEnvelope {
        try parseSingle(parser, .fixture(body: body), source: "ledger")
    }

    static func body(objectType: String = "Bill", action: String = "Bill Updated", objectID: String = #""b1""#, date: String = "2026-03-04T05:06:07Z") -> String {
        #"{"uuid": "u-1", "date": "\#(date)", "objectType": "\#(objectType)", "action": "\#(action)", "objectId": \#(objectID), "tenantId": "t-1"}"#
    }

    @Test func uuidIsTheDeliveryIDAndTheOriginalTypeAndTenantAreKept() throws {
        let envelope = try parse(
            #"{"uuid": "5c1e0b7e", "date": "2026-03-04T05:06:07.250Z", "objectType": "LedgerAccount", "action": "LedgerAccount Updated", "objectId": "acc-42", "tenantId": "t-1"}"#)
        #expect(envelope.key == EntityKey(source: "ledger", type: "ledger_account", id: "acc-42"))
        #expect(envelope.deliveryID == "5c1e0b7e")
        #expect(envelope.action == .update)
        #expect(envelope.extras == ["object_type": "LedgerAccount", "tenant_id": "t-1"])
        #expect(envelope.occurredAt == Date(timeIntervalSince1970: 1_772_600_767.25))
    }

    @Test(arguments: [
        ("LedgerAccount", "ledger_account"), ("Invoice", "invoice"), ("bill", "bill"), ("GLAccount", "gl_account"),
        ("JournalEntry", "journal_entry"), ("Journal Entry", "journal_entry"), ("vendor-credit", "vendor_credit"),
    ])
    func objectTypeBecomesSnakeCase(_ objectType: String, _ type: String) throws {
        let envelope = try parse(Self.body(objectType: objectType))
        #expect(envelope.key.type == type)
        #expect(envelope.extras["object_type"] == objectType)
    }

    @Test(arguments: [
        ("LedgerAccount Updated", EventAction.update), ("created", .create), ("Deleted", .delete), ("Bill CREATED", .create),
        ("bill_deleted", .delete), ("UPDATE", .update), ("Bill Paid", .changed), ("", .changed),
    ])
    func actionIsReadFromTheVerbInItsFreeText(_ text: String, _ expected: EventAction) throws {
        #expect(try parse(Self.body(action: text)).action == expected)
    }

    @Test func aMissingActionIsAPlainChange() throws {
        #expect(try parse(#"{"uuid": "u", "objectType": "Bill", "objectId": "b1"}"#).action == .changed)
    }

    @Test func objectIdMayBeANumber() throws {
        #expect(try parse(Self.body(objectID: "4711")).key.id == "4711")
    }

    @Test func dateWithOrWithoutFractionalSecondsIsTheOccurrenceTime() throws {
        let whole = try parse(Self.body(date: "2026-03-04T05:06:07Z")).occurredAt
        let fractional = try parse(Self.body(date: "2026-03-04T05:06:07.500Z")).occurredAt
        let offset = try parse(Self.body(date: "2026-03-04T07:06:07+02:00")).occurredAt
        #expect(whole == Date(timeIntervalSince1970: 1_772_600_767))
        #expect(fractional == Date(timeIntervalSince1970: 1_772_600_767.5))
        #expect(offset == Date(timeIntervalSince1970: 1_772_600_767))
        #expect(try parse(Self.body(date: "yesterday")).occurredAt == nil)
    }

    @Test(arguments: [
        (#"{"objectType": "Bill", "objectId": "1"}"#, #"softledger: "uuid" is missing"#),
        (#"{"uuid": "u", "objectId": "1"}"#, #"softledger: "objectType" is missing"#),
        (#"{"uuid": "u", "objectType": 3, "objectId": "1"}"#, #"softledger: "objectType" is 3, not an object type name"#),
        (#"{"uuid": "u", "objectType": "Bill"}"#, #"softledger: "objectId" is missing"#),
        (#"{"uuid": "u", "objectType": "Bill", "objectId": {"_id": 1}}"#, #"softledger: "objectId" is an object, not a string or a whole number"#),
        (#"{"uuid": "u", "objectType": "../Bill", "objectId": "1"}"#, #"softledger: "objectType" "../Bill" is not an object type name"#),
        ("uuid=u", #"softledger: the body is not JSON: "uuid=u""#),
    ])
    func missingOrMalformedFieldsAreRejectedNamingTheField(_ body: String, _ reason: String) {
        #expect(rejectionReason(parser, .fixture(body: body)) == reason)
    }
}
