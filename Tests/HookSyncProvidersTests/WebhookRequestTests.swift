import Foundation
import HookSyncCore
import HookSyncProviders
import Testing

@Suite("What is kept of a request")
struct WebhookRequestTests {
    @Test func rawRequestDropsTheTokenQueryParameterAndCredentialHeaders() {
        let webhook = WebhookRequest(
            method: "POST", path: "/hooks/erp/customer", urlType: "customer", query: ["token": "s3cret", "newnumber": "1"],
            rawQuery: "newnumber=1&token=s3cret&oldnumber=",
            headers: ["Authorization": "Bearer s3cret", "Proxy-Authorization": "Basic czNjcmV0", "Cookie": "session=s3cret",
                      "Content-Type": "text/plain", "Webhook-Id": "msg_1"],
            body: Data("x".utf8), receivedAt: WebhookRequest.fixtureReceivedAt)
        let raw = webhook.rawRequest()
        #expect(raw.query == "newnumber=1&oldnumber=")
        #expect(raw.headers == ["content-type": "text/plain", "webhook-id": "msg_1"])
        #expect(raw.method == "POST" && raw.path == "/hooks/erp/customer" && raw.body == Data("x".utf8))
    }

    @Test(arguments: [
        ("token=s3cret", ""),
        ("token=s3cret&a=1", "a=1"),
        ("a=1&token=s3cret&token=again", "a=1"),
        ("a=1&%74oken=s3cret", "a=1"),
        ("TOKEN=s3cret&a=1", "a=1"),
        ("ToKeN=s3cret&a=1", "a=1"),
        ("%54OKEN=s3cret&a=1", "a=1"),
        ("toke=1&tokens=2&t0ken=3", "toke=1&tokens=2&t0ken=3"),
        ("token&a=1", "a=1"),
        ("token_type=bearer&mytoken=1", "token_type=bearer&mytoken=1"),
    ])
    func tokenIsDroppedWhateverItsPositionCaseOrEncoding(_ rawQuery: String, _ kept: String) {
        let webhook = WebhookRequest(
            method: "POST", path: "/hooks/x", urlType: nil, query: [:], rawQuery: rawQuery, headers: [:], body: Data(),
            receivedAt: WebhookRequest.fixtureReceivedAt)
        #expect(webhook.rawRequest().query == kept)
    }

    @Test func aCredentialHeaderSetAfterwardsWithCapitalsIsDroppedToo() {
        var webhook = WebhookRequest.fixture(headers: ["x-custom": "y"])
        webhook.headers["Authorization"] = "Bearer s3cret"
        #expect(webhook.rawRequest().headers == ["x-custom": "y"])
    }

    @Test func headerNamesAreLowercased() {
        let webhook = WebhookRequest.fixture(headers: ["Webhook-ID": "msg_1", "X-Custom": "y"])
        #expect(webhook.headers == ["webhook-id": "msg_1", "x-custom": "y"])
    }

    @Test func everyKindHasItsParserAndOtherNamesAreNoKind() {
        #expect(ProviderKind.allCases.map(\.rawValue) == ["precoro", "economic", "kladana", "softledger", "standard-webhooks"])
        #expect(WebhookParsers.parser(for: .precoro) is PrecoroWebhookParser)
        #expect(WebhookParsers.parser(for: .economic) is EconomicWebhookParser)
        #expect(WebhookParsers.parser(for: .kladana) is KladanaWebhookParser)
        #expect(WebhookParsers.parser(for: .softledger) is SoftLedgerWebhookParser)
        #expect(WebhookParsers.parser(for: .standardWebhooks) is StandardWebhooksParser)
        #expect(ProviderKind(rawValue: "quickbooks") == nil)
        #expect(ProviderKind(rawValue: "Precoro") == nil)
    }

    /// One valid request per kind, each carrying a token, to check what every parser puts around the key.
    static let validRequests: [(kind: ProviderKind, request: WebhookRequest)] = [
        (.precoro, .fixture(query: [("token", "s3cret")], body: #"{"id": 1, "type": 3, "action": 1}"#)),
        (.economic, .fixture(type: "customer", query: [("newnumber", "7"), ("oldnumber", "7"), ("token", "s3cret")])),
        (.kladana, .fixture("GET", query: [("id", "aa-1"), ("type", "Demand"), ("token", "s3cret")])),
        (.softledger, .fixture(query: [("token", "s3cret")], body: #"{"uuid": "u", "objectType": "Bill", "action": "Bill Created", "objectId": "b1"}"#)),
        (.standardWebhooks, .fixture(query: [("token", "s3cret")], body: #"{"type": "invoice.created", "data": {"id": "i1"}}"#)),
    ]

    @Test(arguments: ProviderKind.allCases)
    func everyParserKeysBySourceNameAndKeepsReceivedAtAndTheScrubbedRequest(_ kind: ProviderKind) throws {
        let request = try #require(Self.validRequests.first { $0.kind == kind }?.request)
        let parser = WebhookParsers.parser(for: kind)
        let envelope = try #require(try parser.parse(request, source: "my-erp").first)
        #expect(envelope.key.source == "my-erp")
        #expect(envelope.receivedAt == WebhookRequest.fixtureReceivedAt)
        #expect(envelope.raw == request.rawRequest())
        #expect(envelope.raw?.query.contains("s3cret") == false)
    }

    @Test func rejectionDescribesItselfByItsReason() {
        let rejection = WebhookRejection("precoro: unknown type code 42 (known: 0–11)")
        #expect("\(rejection)" == "precoro: unknown type code 42 (known: 0–11)")
        #expect(rejection == WebhookRejection("precoro: unknown type code 42 (known: 0–11)"))
    }
}
