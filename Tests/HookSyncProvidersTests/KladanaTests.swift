import Foundation
import HookSyncCore
import HookSyncProviders
import Testing

@Suite("Kladana webhooks")
struct KladanaTests {
    let parser = KladanaWebhookParser()

    static let apiBody = """
        {"auditContext": {"meta": {"type": "audit", "href": "https://api.kladana.com/api/remap/1.2/audit/x"}, "moment": "2024-06-10 12:00:00", "uid": "admin@x"},
         "events": [
           {"meta": {"type": "customerorder", "href": "https://api.kladana.com/api/remap/1.2/entity/customerorder/1111-22dd?expand=agent"},
            "action": "UPDATE", "accountId": "acc", "updatedFields": ["sum", "state"]},
           {"meta": {"type": "demand", "href": "https://api.kladana.com/api/remap/1.2/entity/demand/3333"}, "action": "DELETE", "accountId": "acc"},
           {"meta": {"type": "invoiceout", "href": "https://api.kladana.com/api/remap/1.2/entity/invoiceout/4444"}, "action": "PROCESSED", "accountId": "acc"},
           {"meta": {"type": "supply", "href": "https://api.kladana.com/api/remap/1.2/entity/supply/5555"}, "action": "CREATE", "accountId": "acc"}]}
        """

    static func event(action: String = "UPDATE", href: String = "https://api.kladana.com/api/remap/1.2/entity/demand/1", type: String = "demand") -> String {
        #"{"events": [{"meta": {"type": "\#(type)", "href": "\#(href)"}, "action": "\#(action)"}]}"#
    }

    func reason(_ request: WebhookRequest) -> String? { rejectionReason(parser, request) }

    // MARK: Workflow webhooks

    @Test(arguments: ["GET", "POST"])
    func workflowWebhookIsAChangeOfTheNamedEntityWhateverTheMethod(_ method: String) throws {
        let envelopes = try parser.parse(.fixture(method, query: [("id", "1111-22dddw-2w3ed-222e30"), ("type", "CustomerOrder")]), source: "inventory")
        let envelope = try #require(envelopes.first)
        #expect(envelopes.count == 1)
        #expect(envelope.key == EntityKey(source: "inventory", type: "customerorder", id: "1111-22dddw-2w3ed-222e30"))
        #expect(envelope.action == .changed)
        #expect(envelope.deliveryID == nil && envelope.occurredAt == nil && envelope.extras.isEmpty)
    }

    @Test(arguments: [
        ("CustomerOrder", "customerorder"), ("InvoiceOut", "invoiceout"), ("PurchaseOrder", "purchaseorder"),
        ("InvoiceIn", "invoicein"), ("Demand", "demand"), ("Supply", "supply"), ("ProductionTask", "productiontask"),
        ("PaymentIn", "paymentin"), ("PaymentOut", "paymentout"), ("CashIn", "cashin"), ("CashOut", "cashout"),
        ("SalesReturn", "salesreturn"), ("Move", "move"), ("PurchaseReturn", "purchasereturn"),
    ])
    func everyDocumentedWorkflowTypeMapsToItsJSONAPIName(_ workflowType: String, _ apiType: String) throws {
        let envelope = try #require(try parser.parse(.fixture("GET", query: [("id", "1"), ("type", workflowType)]), source: "k").first)
        #expect(envelope.key.type == apiType)
        #expect(Kladana.workflowTypes[workflowType] == apiType)
    }

    @Test func documentedWorkflowTypesAreExactlyTheFourteenOfTheSeed() {
        #expect(Kladana.workflowTypes.count == 14)
    }

    @Test func anUndocumentedTypeOfLettersIsLowercasedAndAnythingElseRejected() throws {
        let retail = try #require(try parser.parse(.fixture("GET", query: [("id", "1"), ("type", "RetailDemand")]), source: "k").first)
        #expect(retail.key.type == "retaildemand")
        #expect(reason(.fixture("GET", query: [("id", "1"), ("type", "Customer Order!")]))
            == #"kladana: "Customer Order!" is not an entity type (expected letters only, e.g. CustomerOrder)"#)
        #expect(reason(.fixture("GET", query: [("id", "1"), ("type", "{type}")]))?.contains("not an entity type") == true)
        #expect(reason(.fixture("GET", query: [("id", "1"), ("type", "")]))?.contains("not an entity type") == true)
    }

    @Test func workflowURLMissingIdOrTypeIsRejectedNamingTheURLToRegister() {
        #expect(reason(.fixture("GET", query: [("id", "1")]))
            == "kladana: the URL has id but no type; register the workflow webhook as /hooks/test?id={id}&type={type}")
        #expect(reason(.fixture("GET", query: [("type", "Demand")]))?.hasPrefix("kladana: the URL has type but no id;") == true)
    }

    @Test func blankOrUnfilledWorkflowIdIsRejected() {
        #expect(reason(.fixture("GET", query: [("id", ""), ("type", "Demand")])) == #"kladana: "id" is blank"#)
        #expect(reason(.fixture("GET", query: [("id", "{id}"), ("type", "Demand")]))
            == #"kladana: "id" is "{id}", a placeholder the workflow did not fill in"#)
    }

    @Test func workflowPOSTWithABodyThatHasNoEventsIsStillAWorkflowWebhook() throws {
        for body in ["hello", #"{"note": "x"}"#] {
            let envelope = try #require(try parser.parse(.fixture(query: [("id", "aa-1"), ("type", "Move")], body: body), source: "k").first)
            #expect(envelope.key.type == "move" && envelope.key.id == "aa-1" && envelope.action == .changed)
        }
    }

    // MARK: JSON API webhooks

    @Test func apiWebhookGivesOneEnvelopePerEventEachWithItsOwnDeliveryID() throws {
        let envelopes = try parser.parse(.fixture(query: [("requestId", "req-9")], body: Self.apiBody), source: "inventory")
        #expect(envelopes.map(\.key) == [
            EntityKey(source: "inventory", type: "customerorder", id: "1111-22dd"),
            EntityKey(source: "inventory", type: "demand", id: "3333"),
            EntityKey(source: "inventory", type: "invoiceout", id: "4444"),
            EntityKey(source: "inventory", type: "supply", id: "5555"),
        ])
        #expect(envelopes.map(\.action) == [.update, .delete, .changed, .create])
        #expect(envelopes.map(\.deliveryID) == ["req-9#0", "req-9#1", "req-9#2", "req-9#3"])
    }

    @Test func aJSONBodyWithEventsWinsOverIdAndTypeInTheURL() throws {
        let envelopes = try parser.parse(.fixture(query: [("id", "zz"), ("type", "Move"), ("requestId", "r")], body: Self.apiBody), source: "k")
        #expect(envelopes.map(\.key.id) == ["1111-22dd", "3333", "4444", "5555"])
    }

    @Test func updatedFieldsAreKeptCommaJoined() throws {
        let envelopes = try parser.parse(.fixture(query: [("requestId", "r")], body: Self.apiBody), source: "k")
        #expect(envelopes.map(\.extras) == [["updated_fields": "sum,state"], [:], [:], [:]])
    }

    @Test func aRetryOfTheSameRequestHasTheSameDeliveryIDs() throws {
        let first = try parser.parse(.fixture(query: [("requestId", "req-9")], body: Self.apiBody), source: "k")
        let retry = try parser.parse(
            .fixture(query: [("requestId", "req-9")], body: Self.apiBody, receivedAt: WebhookRequest.fixtureReceivedAt.addingTimeInterval(1.5)),
            source: "k")
        #expect(first.map(\.deliveryID) == retry.map(\.deliveryID))
        #expect(first.map(\.receivedAt) != retry.map(\.receivedAt))
    }

    @Test func withoutRequestIdThereAreNoDeliveryIDs() throws {
        let envelopes = try parser.parse(.fixture(body: Self.apiBody), source: "k")
        #expect(envelopes.count == 4 && envelopes.allSatisfy { $0.deliveryID == nil })
    }

    @Test func theAuditMomentIsMoscowTimeConvertedToUTC() throws {
        let envelopes = try parser.parse(.fixture(query: [("requestId", "r")], body: Self.apiBody), source: "k")
        let utc = try Date("2024-06-10T09:00:00Z", strategy: .iso8601)
        #expect(envelopes.map(\.occurredAt) == Array(repeating: utc, count: 4))
    }

    @Test(arguments: [
        ("2024-06-10 12:00:00", "2024-06-10T09:00:00Z", 0.0),
        ("2024-06-10 12:00:00.250", "2024-06-10T09:00:00Z", 0.25),
        ("2024-01-01 01:30:00", "2023-12-31T22:30:00Z", 0.0),
        ("2024-03-01 00:00:00.5", "2024-02-29T21:00:00Z", 0.5),
    ])
    func moscowTimeIsUTCPlusThreeAllYear(_ moscow: String, _ utc: String, _ fraction: Double) throws {
        let expected = try Date(utc, strategy: .iso8601).addingTimeInterval(fraction)
        #expect(Kladana.parseMoscowTime(moscow) == expected)
    }

    @Test(arguments: ["2024-02-30 12:00:00", "2024-06-10T12:00:00", "10.06.2024 12:00:00", "2024-06-10 12:00", "2024-06-10 12:00:00.", "2024-06-10 12:00:00Z", ""])
    func malformedMoscowTimesAreNotGuessed(_ text: String) {
        #expect(Kladana.parseMoscowTime(text) == nil)
    }

    @Test func entityIdIsTheLastPathComponentOfHrefWithoutQuery() throws {
        let body = Self.event(href: "https://api.kladana.com/api/remap/1.2/entity/demand/7944ef04-f831-11e5-7a69-971500188b19?expand=positions#x")
        #expect(try parser.parse(.fixture(body: body), source: "k").first?.key.id == "7944ef04-f831-11e5-7a69-971500188b19")
    }

    @Test func hrefWithoutAnEntityIdIsRejected() {
        #expect(reason(.fixture(body: Self.event(href: "https://api.kladana.com/api/remap/1.2/entity/demand/")))
            == "kladana: event 0 has no meta.href ending in an entity id")
        #expect(reason(.fixture(body: Self.event(href: "https://api.kladana.com/api/remap/1.2/entity/demand")))
            == "kladana: event 0 has no meta.href ending in an entity id")
    }

    @Test func emptyEventsArrayIsRejected() {
        #expect(reason(.fixture(query: [("requestId", "r")], body: #"{"events": []}"#)) == #"kladana: no events (the "events" array is empty)"#)
    }

    @Test func unknownOrMissingActionIsRejectedNamingTheEvent() {
        #expect(reason(.fixture(body: Self.event(action: "EXPLODE")))
            == #"kladana: event 0 has unknown action "EXPLODE" (known: CREATE, UPDATE, DELETE, PROCESSED)"#)
        #expect(reason(.fixture(body: #"{"events": [{"meta": {"type": "demand", "href": "x/1"}}]}"#)) == "kladana: event 0 has no action")
    }

    @Test func malformedEventsAreRejectedNamingWhatIsWrong() {
        #expect(reason(.fixture(body: #"{"events": {"a": 1}}"#)) == #"kladana: "events" is an object, not an array"#)
        #expect(reason(.fixture(body: #"{"events": [42]}"#)) == "kladana: event 0 is 42, not an object")
        #expect(reason(.fixture(body: #"{"events": [{"meta": {"href": "x/1"}, "action": "UPDATE"}]}"#)) == "kladana: event 0 has no meta.type")
        #expect(reason(.fixture(body: Self.event(type: "../demand")))
            == #"kladana: event 0 has meta.type "../demand", not an entity type name"#)
    }

    @Test func aRequestThatIsNeitherFormIsRejected() {
        #expect(reason(.fixture(body: #"{"hello": 1}"#))
            == #"kladana: the JSON body has no "events" (and the URL has no ?id=&type= of a workflow webhook)"#)
        #expect(reason(.fixture(body: ""))
            == #"kladana: neither ?id=&type= in the URL (workflow webhook) nor a JSON body with "events" (JSON API webhook)"#)
        #expect(reason(.fixture(body: "<xml/>")) == #"kladana: the body is not JSON: "<xml/>""#)
    }
}
