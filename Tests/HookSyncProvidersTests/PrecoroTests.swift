import Foundation
import HookSyncCore
import HookSyncProviders
import Testing

@Suite("Precoro webhooks")
struct PrecoroTests {
    let parser = PrecoroWebhookParser()

    func parse(_ body: String) throws -> EventEnvelope {
        try parseSingle(parser, .fixture(body: body), source: "procurement")
    }

    /// Precoro's documented example body, byte for byte, trailing comma included (docs/providers.md).
    static let seedExample = """
        {
                "id":123456,

                "type":2,

                "action":0,

                "idn":5,

        }
        """

    @Test func theSeedExampleWithItsTrailingCommaIsAPurchaseOrderCreate() throws {
        let envelope = try parse(Self.seedExample)
        #expect(envelope.key == EntityKey(source: "procurement", type: "purchase_order", id: "123456"))
        #expect(envelope.action == .create)
        #expect(envelope.extras == ["idn": "5"])
        #expect(envelope.deliveryID == nil && envelope.occurredAt == nil)
        #expect(envelope.raw?.body == Data(Self.seedExample.utf8), "the raw request keeps the body as it came, not the repaired one")
    }

    @Test(arguments: [
        (0, "warehouse_request"), (1, "purchase_requisition"), (2, "purchase_order"), (3, "invoice"), (4, "rfp"),
        (5, "receipt"), (6, "expense"), (7, "supplier"), (8, "stock_transfer"), (9, "budget"),
        (10, "document_custom_field"), (11, "item_custom_field"),
    ])
    func everyTypeCodeHasItsSnakeCaseName(_ code: Int, _ name: String) throws {
        #expect(try parse(#"{"id": 77, "type": \#(code), "action": 1}"#).key.type == name)
        #expect(Precoro.typeNames[code] == name)
    }

    @Test func idArrivesAsANumberOrAString() throws {
        #expect(try parse(#"{"id": 123456, "type": 3, "action": 1}"#).key.id == "123456")
        #expect(try parse(#"{"id": "123456", "type": 3, "action": 1}"#).key.id == "123456")
        #expect(try parse(#"{"id": 123456.0, "type": 3, "action": 1}"#).key.id == "123456")
    }

    @Test func idnIsOptionalAndMayBeNull() throws {
        #expect(try parse(#"{"id": 1, "type": 7, "action": 1}"#).extras.isEmpty)
        #expect(try parse(#"{"id": 1, "type": 7, "action": 1, "idn": null}"#).extras.isEmpty)
        #expect(try parse(#"{"id": 1, "type": 2, "action": 1, "idn": "15"}"#).extras == ["idn": "15"])
    }

    @Test func actionOneIsAnUpdateAndOtherCodesAreRejected() throws {
        #expect(try parse(#"{"id": 1, "type": 3, "action": 1}"#).action == .update)
        #expect(rejectionReason(parser, .fixture(body: #"{"id": 1, "type": 3, "action": 2}"#))
            == "precoro: unknown action code 2 (known: 0 create, 1 update)")
    }

    @Test(arguments: [12, 42, -1])
    func unknownTypeCodeIsRejectedNamingTheCode(_ code: Int) {
        #expect(rejectionReason(parser, .fixture(body: #"{"id": 1, "type": \#(code), "action": 0}"#))
            == "precoro: unknown type code \(code) (known: 0–11)")
    }

    @Test(arguments: [
        (#"{"type": 2, "action": 0}"#, #"precoro: "id" is missing"#),
        (#"{"id": null, "type": 2, "action": 0}"#, #"precoro: "id" is missing"#),
        (#"{"id": true, "type": 2, "action": 0}"#, #"precoro: "id" is true, not a string or a whole number"#),
        (#"{"id": 1.5, "type": 2, "action": 0}"#, #"precoro: "id" is 1.5, not a string or a whole number"#),
        (#"{"id": "", "type": 2, "action": 0}"#, #"precoro: "id" is an empty string, not a string or a whole number"#),
        (#"{"id": 1, "action": 0}"#, #"precoro: "type" is missing"#),
        (#"{"id": 1, "type": "two", "action": 0}"#, #"precoro: "type" is "two", not a whole number"#),
        (#"{"id": 1, "type": 2}"#, #"precoro: "action" is missing"#),
    ])
    func missingOrMalformedFieldsAreRejectedNamingTheField(_ body: String, _ reason: String) {
        #expect(rejectionReason(parser, .fixture(body: body)) == reason)
    }

    @Test func bodiesThatAreNotAJSONObjectAreRejectedSayingWhatArrived() {
        #expect(rejectionReason(parser, .fixture(body: "id=1&type=2")) == #"precoro: the body is not JSON: "id=1&type=2""#)
        #expect(rejectionReason(parser, .fixture(body: "[1, 2]")) == "precoro: the body is JSON but an array, not an object")
        #expect(rejectionReason(parser, .fixture(body: "")) == "precoro: the body is empty; expected a JSON object")
    }

    /// (Foundation on Linux itself accepts trailing commas, in arrays too, so what is checked here is
    /// that the repair adds nothing beyond a comma after a value before `}`.)
    @Test(arguments: [
        #"{"id": 1, "type": 2, "action": 0,,}"#,
        #"{"id": 1, "type": 2, "action": 0, , }"#,
        #"{"id": 1 "type": 2, "action": 0,}"#,
        #"{"id": 1, "type": 2, "action": 0,"#,
        #"{,}"#,
    ])
    func invalidJSONBesidesATrailingCommaIsStillRejected(_ body: String) {
        #expect(rejectionReason(parser, .fixture(body: body)) == "precoro: the body is not JSON: \(String(reflecting: body))")
    }

    @Test func trailingCommasBeforeNestedBracesAreForgivenToo() throws {
        #expect(try parse(#"{"id": 1, "type": 2, "action": 0, "meta": {"a": 1,},}"#).key.id == "1")
    }

    @Test func aCommaAndBraceInsideAStringAreLeftAlone() throws {
        #expect(try parse(#"{"id": "a,}", "type": 2, "action": 0,}"#).key.id == "a,}")
        #expect(try parse(#"{"id": "a\",}", "type": 2, "action": 0,}"#).key.id == #"a",}"#)
    }
}
