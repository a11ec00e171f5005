import Foundation
import HookSyncCore
import HookSyncProviders
import Testing

@Suite("e-conomic webhooks")
struct EconomicTests {
    let parser = EconomicWebhookParser()

    func parse(_ query: [(String, String)], type: String? = "customer", body: String = "") throws -> EventEnvelope {
        let envelopes = try parser.parse(.fixture(path: "/hooks/erp/\(type ?? "")", type: type, query: query, body: body), source: "erp")
        #expect(envelopes.count == 1)
        return try #require(envelopes.first)
    }

    func reason(_ query: [(String, String)], type: String? = "customer") -> String? {
        rejectionReason(parser, .fixture(type: type, query: query))
    }

    @Test func blankOldNumberIsACreateOfTheNewNumber() throws {
        let created = try parse([("newnumber", "33"), ("oldnumber", "")])
        #expect(created.key == EntityKey(source: "erp", type: "customer", id: "33"))
        #expect(created.action == .create && created.extras.isEmpty)
    }

    @Test func blankNewNumberIsADeleteOfTheOldNumber() throws {
        let deleted = try parse([("newnumber", ""), ("oldnumber", "33")])
        #expect(deleted.key.id == "33" && deleted.action == .delete && deleted.extras.isEmpty)
    }

    @Test func equalNumbersAreAnUpdate() throws {
        let updated = try parse([("newnumber", "33"), ("oldnumber", "33")], type: "product")
        #expect(updated.key == EntityKey(source: "erp", type: "product", id: "33"))
        #expect(updated.action == .update && updated.extras.isEmpty)
    }

    @Test func differentNumbersAreARenumberOfTheNewNumber() throws {
        let renumbered = try parse([("newnumber", "34"), ("oldnumber", "33")])
        #expect(renumbered.key.id == "34")
        #expect(renumbered.action == .renumber)
        #expect(renumbered.extras == ["old_number": "33"])
    }

    @Test func bothNumbersBlankIsRejected() {
        #expect(reason([("newnumber", ""), ("oldnumber", "")]) == "economic: both newnumber and oldnumber are blank")
        #expect(reason([("newnumber", " "), ("oldnumber", "")]) == "economic: both newnumber and oldnumber are blank")
    }

    @Test(arguments: [("NEWNUMBER", "OLDNUMBER"), ("NewNumber", "oldNumber"), ("newnumber", "OLDNUMBER")])
    func mergeFieldNamesAreCaseInsensitive(_ newName: String, _ oldName: String) throws {
        let renumbered = try parse([(newName, "5"), (oldName, "4")])
        #expect(renumbered.key.id == "5" && renumbered.action == .renumber && renumbered.extras == ["old_number": "4"])
    }

    @Test func theLowercaseSpellingWinsWhenAFieldIsRepeatedInAnotherCase() throws {
        let updated = try parse([("NEWNUMBER", "1"), ("newnumber", "2"), ("oldnumber", "2")])
        #expect(updated.key.id == "2" && updated.action == .update)
    }

    @Test func numbersAreTrimmed() throws {
        #expect(try parse([("newnumber", " 33 "), ("oldnumber", "33")]).action == .update)
    }

    @Test func typeComesFromTheURLLowercased() throws {
        #expect(try parse([("newnumber", "1"), ("oldnumber", "1")], type: "CustomerGroup").key.type == "customergroup")
        #expect(try parse([("newnumber", "1"), ("oldnumber", "1")], type: "payment_term").key.type == "payment_term")
    }

    @Test func missingURLTypeIsRejectedNamingTheURLToRegister() {
        let expected = "economic: no entity type in the URL; register it as /hooks/erp/<type>?newnumber=[NEWNUMBER]&oldnumber=[OLDNUMBER]"
        #expect(throws: WebhookRejection(expected)) {
            try parser.parse(.fixture(query: [("newnumber", "1"), ("oldnumber", "1")]), source: "erp")
        }
        #expect(throws: WebhookRejection(expected)) {
            try parser.parse(.fixture(type: "", query: [("newnumber", "1"), ("oldnumber", "1")]), source: "erp")
        }
    }

    @Test(arguments: ["cust omer", "1customer", "..", "customer-group", "kunde_ø"])
    func typeThatIsNotAPlainNameIsRejected(_ type: String) {
        #expect(reason([("newnumber", "1"), ("oldnumber", "1")], type: type)
            == "economic: \(String(reflecting: type)) in the URL is not an entity type name (a letter, then letters, digits or _)")
    }

    @Test func onlyOneOfNewAndOldNumberIsRejectedAsAnIncompleteURL() {
        #expect(reason([("newnumber", "1")])
            == "economic: the URL has no oldnumber; register it as /hooks/test/customer?newnumber=[NEWNUMBER]&oldnumber=[OLDNUMBER]")
        #expect(reason([("oldnumber", "1")])?.hasPrefix("economic: the URL has no newnumber;") == true)
    }

    @Test func aMergeFieldEconomicDidNotFillInIsRejected() {
        #expect(reason([("newnumber", "[NEWNUMBR]"), ("oldnumber", "3")])
            == "economic: newnumber is \"[NEWNUMBR]\", a merge field e-conomic did not fill in; check its spelling in the webhook URL")
    }

    @Test func invoiceBookedAndProductInventoryHooksAreChangesOfTheirNumber() throws {
        let booked = try parse([("invoiceno", "1001")], type: "invoice_booked")
        #expect(booked.key == EntityKey(source: "erp", type: "invoice_booked", id: "1001"))
        #expect(booked.action == .changed && booked.extras.isEmpty)
        let inventory = try parse([("NUMBER", "P-7")], type: "product_inventory")
        #expect(inventory.key.id == "P-7" && inventory.action == .changed)
    }

    @Test func dayBookBookedKeepsTheSerialNumberSpan() throws {
        let daybook = try parse([("daybookno", "3"), ("fromserialno", "10"), ("toserialno", "19")], type: "daybook")
        #expect(daybook.key.id == "3" && daybook.action == .changed)
        #expect(daybook.extras == ["from_serial_no": "10", "to_serial_no": "19"])
        #expect(try parse([("daybookno", "3"), ("fromserialno", ""), ("toserialno", "")], type: "daybook").extras.isEmpty)
    }

    @Test func blankSingleNumberIsRejected() {
        #expect(reason([("invoiceno", "")], type: "invoice_booked") == "economic: invoiceno is blank")
    }

    @Test func noMergeFieldsIsRejected() {
        #expect(reason([("foo", "bar")])
            == "economic: no merge fields in the query string; expected newnumber and oldnumber, invoiceno, number or daybookno")
    }

    @Test func theBodyIsNotReadButIsKeptInTheRawRequest() throws {
        let updated = try parse([("newnumber", "9"), ("oldnumber", "9")], body: "{ not json: Data posted")
        #expect(updated.action == .update)
        #expect(updated.raw?.body == Data("{ not json: Data posted".utf8))
        #expect(updated.deliveryID == nil)
    }
}
