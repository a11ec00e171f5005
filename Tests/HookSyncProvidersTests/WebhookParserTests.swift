import Foundation
import HookSyncCore
import HookSyncProviders
import Testing

func request(
    _ method: String = "POST", path: String = "/hooks/source", type: String? = nil, query: [String: String] = [:],
    headers: [String: String] = [:], body: String = ""
) -> WebhookRequest {
    WebhookRequest(
        method: method, path: path, urlType: type, query: query,
        rawQuery: query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&"),
        headers: headers, body: Data(body.utf8), receivedAt: Date(timeIntervalSince1970: 1_767_225_600))
}

func rejection(_ parser: some WebhookParser, _ request: WebhookRequest) -> String? {
    do {
        _ = try parser.parse(request, source: "s")
        return nil
    } catch {
        return error.reason
    }
}

@Suite("Precoro webhooks")
struct PrecoroTests {
    let parser = PrecoroWebhookParser()

    @Test func theSeedExampleWithItsTrailingCommaIsAPurchaseOrderCreate() throws {
        let envelopes = try parser.parse(request(body: #"{ "id":123456, "type":2, "action":0, "idn":5, }"#), source: "precoro")
        #expect(envelopes.count == 1)
        #expect(envelopes[0].key == EntityKey(source: "precoro", type: "purchase_order", id: "123456"))
        #expect(envelopes[0].action == .create && envelopes[0].extras == ["idn": "5"])
        #expect(envelopes[0].deliveryID == nil)
    }

    @Test(arguments: Array(0...11))
    func everyTypeCodeHasAName(_ code: Int) throws {
        let envelope = try #require(try parser.parse(request(body: #"{"id": "77", "type": \#(code), "action": 1}"#), source: "p").first)
        #expect(envelope.key.type == Precoro.typeNames[code])
        #expect(envelope.action == .update && envelope.extras.isEmpty && envelope.key.id == "77")
    }

    @Test func badBodiesAreRejectedWithAReason() {
        #expect(rejection(parser, request(body: #"{"id": 1, "type": 12, "action": 0}"#)) == "precoro: unknown type code 12 (known: 0–11)")
        #expect(rejection(parser, request(body: #"{"type": 2, "action": 0}"#))?.contains("\"id\"") == true)
        #expect(rejection(parser, request(body: #"{"id": 1, "type": 2, "action": 7}"#))?.contains("unknown action 7") == true)
        #expect(rejection(parser, request(body: "id=1")) == "precoro: the body is not JSON")
        #expect(rejection(parser, request(body: "[1]")) == "precoro: the body is JSON but not an object")
        #expect(rejection(parser, request(body: "")) != nil)
    }
}

@Suite("e-conomic webhooks")
struct EconomicTests {
    let parser = EconomicWebhookParser()

    func parse(_ query: [String: String], type: String? = "customer") throws -> EventEnvelope {
        try #require(try parser.parse(request(type: type, query: query), source: "economic").first)
    }

    @Test func blankOldNumberIsACreateAndBlankNewNumberADelete() throws {
        #expect(try parse(["newnumber": "33", "oldnumber": ""]).action == .create)
        let deleted = try parse(["newnumber": "", "oldnumber": "33"])
        #expect(deleted.action == .delete && deleted.key.id == "33")
    }

    @Test func equalNumbersAreAnUpdate() throws {
        let updated = try parse(["newnumber": "33", "oldnumber": "33"], type: "product")
        #expect(updated.key == EntityKey(source: "economic", type: "product", id: "33") && updated.action == .update)
    }

    @Test func differentNumbersAreARenumberOfTheNewNumber() throws {
        let renumbered = try parse(["newnumber": "34", "oldnumber": "33"])
        #expect(renumbered.key.id == "34" && renumbered.action == .renumber && renumbered.extras == ["old_number": "33"])
    }

    @Test func mergeFieldNamesAreCaseInsensitive() throws {
        #expect(try parse(["NEWNUMBER": "5", "OLDNUMBER": "5"]).action == .update)
    }

    @Test func singleNumberHooksAreChanges() throws {
        #expect(try parse(["invoiceno": "1001"], type: "invoice_booked").key.id == "1001")
        let daybook = try parse(["daybookno": "3", "fromserialno": "10", "toserialno": "19"], type: "daybook")
        #expect(daybook.action == .changed && daybook.extras == ["from_serial_no": "10", "to_serial_no": "19"])
    }

    @Test func missingTypeOrNumbersAreRejected() {
        #expect(rejection(parser, request(query: ["newnumber": "1", "oldnumber": "1"]))?.contains("register it as /hooks/s/<type>") == true)
        #expect(rejection(parser, request(type: "customer", query: ["newnumber": "", "oldnumber": ""])) == "economic: both newnumber and oldnumber are blank")
        #expect(rejection(parser, request(type: "customer")) != nil)
        #expect(rejection(parser, request(type: "cust%20omer", query: ["newnumber": "1"])) != nil)
    }
}

@Suite("Kladana webhooks")
struct KladanaTests {
    let parser = KladanaWebhookParser()
    static let apiBody = """
        {"auditContext": {"meta": {"type": "audit", "href": "https://api.kladana.com/api/remap/1.2/audit/x"}, "moment": "2024-06-10 12:00:00", "uid": "admin@x"},
         "events": [
           {"meta": {"type": "customerorder", "href": "https://api.kladana.com/api/remap/1.2/entity/customerorder/1111-22dd?expand=x"},
            "action": "UPDATE", "accountId": "acc", "updatedFields": ["sum", "state"]},
           {"meta": {"type": "demand", "href": "https://api.kladana.com/api/remap/1.2/entity/demand/3333"}, "action": "DELETE", "accountId": "acc"},
           {"meta": {"type": "invoiceout", "href": "https://api.kladana.com/api/remap/1.2/entity/invoiceout/4444"}, "action": "PROCESSED", "accountId": "acc"}]}
        """

    @Test(arguments: ["GET", "POST"])
    func workflowWebhooksNameTheJSONAPIType(_ method: String) throws {
        let envelope = try #require(try parser.parse(request(method, query: ["id": "1111-22dddw-2w3ed-222e30", "type": "CustomerOrder"]), source: "kladana").first)
        #expect(envelope.key == EntityKey(source: "kladana", type: "customerorder", id: "1111-22dddw-2w3ed-222e30"))
        #expect(envelope.action == .changed && envelope.deliveryID == nil)
    }

    @Test func everyDocumentedWorkflowTypeMapsToLowercase() throws {
        for (workflow, api) in Kladana.workflowTypes {
            #expect(api == workflow.lowercased())
            #expect(try parser.parse(request("GET", query: ["id": "1", "type": workflow]), source: "k").first?.key.type == api)
        }
        #expect(Kladana.workflowTypes.count == 14)
        #expect(rejection(parser, request("GET", query: ["id": "1", "type": "Customer Order!"])) != nil)
    }

    @Test func apiWebhooksCarrySeveralEventsEachWithItsOwnDeliveryID() throws {
        let envelopes = try parser.parse(request(query: ["requestId": "req-9"], body: Self.apiBody), source: "kladana")
        #expect(envelopes.map(\.key.id) == ["1111-22dd", "3333", "4444"])
        #expect(envelopes.map(\.key.type) == ["customerorder", "demand", "invoiceout"])
        #expect(envelopes.map(\.action) == [.update, .delete, .changed])
        #expect(envelopes.map(\.deliveryID) == ["req-9#0", "req-9#1", "req-9#2"])
        #expect(envelopes[0].extras == ["updated_fields": "sum,state"])
    }

    @Test func momentIsMoscowTimeConvertedToUTC() throws {
        let envelope = try #require(try parser.parse(request(query: ["requestId": "r"], body: Self.apiBody), source: "k").first)
        #expect(envelope.occurredAt == (try Date("2024-06-10T09:00:00Z", strategy: .iso8601)))
        #expect(Kladana.parseMoscowTime("2024-06-10 12:00:00.250")?.timeIntervalSince1970 == 1_718_010_000.25)
    }

    @Test func noRequestIDMeansNoDeliveryIDs() throws {
        #expect(try parser.parse(request(body: Self.apiBody), source: "k").allSatisfy { $0.deliveryID == nil })
    }

    @Test func emptyOrUnknownEventsAreRejected() {
        #expect(rejection(parser, request(body: #"{"events": []}"#)) == "kladana: the \"events\" array is empty")
        #expect(rejection(parser, request(body: #"{"events": [{"meta": {"type": "demand", "href": "x/1"}, "action": "EXPLODE"}]}"#))?.contains("EXPLODE") == true)
        #expect(rejection(parser, request(body: #"{"hello": 1}"#))?.contains("events") == true)
    }
}

@Suite("SoftLedger webhooks")
struct SoftLedgerTests {
    let parser = SoftLedgerWebhookParser()

    @Test func uuidIsTheDeliveryIDAndObjectTypeBecomesSnakeCase() throws {
        let body = #"{"uuid": "5c1e", "date": "2026-03-04T05:06:07.250Z", "objectType": "LedgerAccount", "action": "LedgerAccount Updated", "objectId": 42, "tenantId": "t-1"}"#
        let envelope = try #require(try parser.parse(request(body: body), source: "softledger").first)
        #expect(envelope.key == EntityKey(source: "softledger", type: "ledger_account", id: "42"))
        #expect(envelope.deliveryID == "5c1e" && envelope.action == .update)
        #expect(envelope.extras == ["object_type": "LedgerAccount", "tenant_id": "t-1"])
        #expect(envelope.occurredAt?.timeIntervalSince1970 == 1_772_600_767.25)
    }

    @Test(arguments: [("Bill Created", EventAction.create), ("deleted", .delete), ("Bill Paid", .changed), ("UPDATED", .update)])
    func actionIsReadFromItsVerb(_ text: String, _ expected: EventAction) throws {
        let body = #"{"uuid": "u", "objectType": "Bill", "action": "\#(text)", "objectId": "b1"}"#
        #expect(try parser.parse(request(body: body), source: "s").first?.action == expected)
    }

    @Test func missingFieldsAreRejected() {
        #expect(rejection(parser, request(body: #"{"objectType": "Bill", "objectId": "1"}"#)) == "softledger: \"uuid\" is missing")
        #expect(rejection(parser, request(body: #"{"uuid": "u", "objectId": "1"}"#)) == "softledger: \"objectType\" is missing")
        #expect(rejection(parser, request(body: #"{"uuid": "u", "objectType": "Bill"}"#)) == "softledger: \"objectId\" is missing")
    }
}

@Suite("Standard Webhooks")
struct StandardWebhooksTests {
    let parser = StandardWebhooksParser()
    // The example of the specification (standardwebhooks.com).
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    let id = "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp = "1614265330"
    let body = Data(#"{"test": 2432232314}"#.utf8)
    let expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    var now: Date { Date(timeIntervalSince1970: 1_614_265_330) }

    @Test func signsTheSpecificationsExampleExactly() {
        #expect(StandardWebhooksVerifier(secrets: [secret]).sign(id: id, timestamp: timestamp, body: body) == expected)
    }

    @Test func acceptsAnyListedSignatureByAnyConfiguredSecret() throws {
        let rotating = StandardWebhooksVerifier(secrets: ["whsec_bmV3c2VjcmV0bmV3c2VjcmV0", secret])
        try rotating.verify(id: id, timestamp: timestamp, signatureHeader: "v1,Zm9vYmFy \(expected)", body: body, now: now)
        try rotating.verify(id: id, timestamp: timestamp, signatureHeader: "v2,abc \(expected)", body: body, now: now.addingTimeInterval(299))
    }

    @Test func refusesTamperingStalenessAndOtherVersions() {
        let verifier = StandardWebhooksVerifier(secrets: [secret])
        #expect(throws: WebhookSignatureError.noMatchingSignature) {
            try verifier.verify(id: id, timestamp: timestamp, signatureHeader: expected, body: Data(#"{"test": 2432232315}"#.utf8), now: now)
        }
        #expect(throws: WebhookSignatureError.noMatchingSignature) {
            try verifier.verify(id: "msg_other", timestamp: timestamp, signatureHeader: expected, body: body, now: now)
        }
        #expect(throws: WebhookSignatureError.tooOld) {
            try verifier.verify(id: id, timestamp: timestamp, signatureHeader: expected, body: body, now: now.addingTimeInterval(301))
        }
        #expect(throws: WebhookSignatureError.inTheFuture) {
            try verifier.verify(id: id, timestamp: timestamp, signatureHeader: expected, body: body, now: now.addingTimeInterval(-301))
        }
        #expect(throws: WebhookSignatureError.noSignature) {
            try verifier.verify(id: id, timestamp: timestamp, signatureHeader: expected.replacingOccurrences(of: "v1,", with: "v2,"), body: body, now: now)
        }
        #expect(throws: WebhookSignatureError.malformedTimestamp) {
            try verifier.verify(id: id, timestamp: "yesterday", signatureHeader: expected, body: body, now: now)
        }
        #expect(throws: WebhookSignatureError.noMatchingSignature) {
            try StandardWebhooksVerifier(secrets: ["whsec_b3RoZXI="]).verify(id: id, timestamp: timestamp, signatureHeader: expected, body: body, now: now)
        }
    }

    @Test func eventTypeSplitsAtTheLastDot() throws {
        let body = #"{"type": "purchase.order.deleted", "timestamp": "2026-01-02T03:04:05Z", "data": {"id": 991}}"#
        let envelope = try #require(try parser.parse(request(headers: ["Webhook-Id": "msg_1"], body: body), source: "acme").first)
        #expect(envelope.key == EntityKey(source: "acme", type: "purchase_order", id: "991"))
        #expect(envelope.action == .delete && envelope.deliveryID == "msg_1")
        #expect(rejection(parser, request(body: #"{"type": "invoice", "data": {"id": "1"}}"#)) != nil)
        #expect(rejection(parser, request(body: #"{"type": "../etc.updated", "data": {"id": "1"}}"#))?.contains("not an entity type name") == true)
        #expect(rejection(parser, request(body: #"{"type": "invoice.updated", "data": {}}"#)) == "standard-webhooks: \"data.id\" is missing")
    }
}

@Suite("What is kept of a request")
struct RawRequestTests {
    @Test func tokensAndCredentialsAreNeverKept() {
        let webhook = WebhookRequest(
            method: "POST", path: "/hooks/economic/customer", urlType: "customer", query: ["token": "s3cret", "newnumber": "1"],
            rawQuery: "newnumber=1&token=s3cret&oldnumber=", headers: ["Authorization": "Bearer s3cret", "Cookie": "a=b", "Content-Type": "text/plain"],
            body: Data("x".utf8), receivedAt: Date())
        let raw = webhook.rawRequest()
        #expect(raw.query == "newnumber=1&oldnumber=")
        #expect(raw.headers == ["content-type": "text/plain"])
        #expect(raw.body == Data("x".utf8) && raw.path == "/hooks/economic/customer" && raw.method == "POST")
    }

    @Test func everyKindHasAParser() {
        for kind in ["precoro", "economic", "kladana", "softledger", "standard-webhooks"] {
            #expect(WebhookParsers.parser(forKind: kind) != nil)
        }
        #expect(WebhookParsers.parser(forKind: "quickbooks") == nil)
    }
}
