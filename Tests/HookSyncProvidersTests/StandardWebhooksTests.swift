import Foundation
import HookSyncCore
import HookSyncProviders
import Testing

@Suite("Standard Webhooks signatures")
struct StandardWebhooksVerifierTests {
    // The test vector of the specification (standardwebhooks.com).
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let timestamp = "1614265330"
    static let body = Data(#"{"test": 2432232314}"#.utf8)
    static let signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    static let now = Date(timeIntervalSince1970: 1_614_265_330)
    static let oldSecret = "whsec_b2xkc2VjcmV0b2xkc2VjcmV0b2xkc2VjcmV0"

    let verifier = StandardWebhooksVerifier(secrets: [Self.secret])

    /// Verifies the test vector, with one part changed.
    func verify(
        _ other: StandardWebhooksVerifier? = nil, id: String = Self.id, timestamp: String = Self.timestamp,
        header: String = Self.signature, body: Data = Self.body, now: Date = Self.now
    ) throws(WebhookSignatureError) {
        try (other ?? verifier).verify(id: id, timestamp: timestamp, signatureHeader: header, body: body, now: now)
    }

    @Test func signsTheSpecificationsTestVectorExactly() {
        #expect(verifier.sign(id: Self.id, timestamp: Self.timestamp, body: Self.body) == Self.signature)
    }

    @Test func acceptsTheSpecificationsTestVector() throws {
        try verify()
    }

    @Test func aTamperedBodyIsRefused() {
        #expect(throws: WebhookSignatureError.noMatchingSignature) { try verify(body: Data(#"{"test": 2432232315}"#.utf8)) }
        #expect(throws: WebhookSignatureError.noMatchingSignature) { try verify(body: Self.body + Data(" ".utf8)) }
    }

    @Test func aSignatureForAnotherMessageIdOrTimestampIsRefused() {
        #expect(throws: WebhookSignatureError.noMatchingSignature) { try verify(id: "msg_other") }
        #expect(throws: WebhookSignatureError.noMatchingSignature) { try verify(timestamp: "1614265331") }
    }

    @Test func aSignatureByAnotherSecretIsRefused() {
        #expect(throws: WebhookSignatureError.noMatchingSignature) { try verify(StandardWebhooksVerifier(secrets: [Self.oldSecret])) }
    }

    @Test func timestampsWithinToleranceAreAcceptedAndStaleOrFutureOnesRefused() throws {
        try verify(now: Self.now.addingTimeInterval(300))
        try verify(now: Self.now.addingTimeInterval(-300))
        #expect(throws: WebhookSignatureError.timestampTooOld(tolerance: .seconds(300))) { try verify(now: Self.now.addingTimeInterval(301)) }
        #expect(throws: WebhookSignatureError.timestampInTheFuture(tolerance: .seconds(300))) { try verify(now: Self.now.addingTimeInterval(-301)) }
    }

    @Test func toleranceIsConfigurable() throws {
        let strict = StandardWebhooksVerifier(secrets: [Self.secret], tolerance: .seconds(10))
        try verify(strict, now: Self.now.addingTimeInterval(10))
        #expect(throws: WebhookSignatureError.timestampTooOld(tolerance: .seconds(10))) { try verify(strict, now: Self.now.addingTimeInterval(11)) }
    }

    @Test(arguments: ["yesterday", "", "-1614265330", "+1614265330", "1614265330.5", " 1614265330", "99999999999999999999"])
    func aTimestampThatIsNotUnixSecondsIsRefused(_ timestamp: String) {
        #expect(throws: WebhookSignatureError.malformedTimestamp) { try verify(timestamp: timestamp) }
    }

    @Test func duringRotationASignatureByEitherTheOldOrTheNewSecretIsAccepted() throws {
        let rotating = StandardWebhooksVerifier(secrets: [Self.secret, Self.oldSecret])
        let byOld = StandardWebhooksVerifier(secrets: [Self.oldSecret]).sign(id: Self.id, timestamp: Self.timestamp, body: Self.body)
        #expect(byOld != Self.signature)
        try verify(rotating, header: byOld)
        try verify(rotating, header: Self.signature)
        #expect(throws: WebhookSignatureError.noMatchingSignature) { try verify(header: byOld) }
    }

    @Test func anyOfSeveralSignaturesInTheHeaderMayMatch() throws {
        try verify(header: "v1,Zm9vYmFy \(Self.signature)")
        try verify(header: "\(Self.signature) v1,Zm9vYmFy")
        try verify(header: "v1,not-base64!  \(Self.signature)")
        #expect(throws: WebhookSignatureError.noMatchingSignature) { try verify(header: "v1,Zm9vYmFy v1,YmFyYmF6") }
    }

    @Test func onlyVersion1SignaturesCount() throws {
        let sameBytesAsV2 = Self.signature.replacingOccurrences(of: "v1,", with: "v2,")
        #expect(throws: WebhookSignatureError.noVersion1Signature) { try verify(header: sameBytesAsV2) }
        #expect(throws: WebhookSignatureError.noVersion1Signature) { try verify(header: sameBytesAsV2.replacingOccurrences(of: "v2,", with: "v1a,")) }
        #expect(throws: WebhookSignatureError.noVersion1Signature) { try verify(header: "") }
        try verify(header: "\(sameBytesAsV2) \(Self.signature)")
    }

    @Test func headersAreReadFromTheRequestAndAMissingOneIsNamed() throws {
        let headers = ["webhook-id": Self.id, "webhook-timestamp": Self.timestamp, "webhook-signature": Self.signature]
        try verifier.verify(headers: headers, body: Self.body, now: Self.now)
        for name in [StandardWebhooks.idHeader, StandardWebhooks.timestampHeader, StandardWebhooks.signatureHeader] {
            var incomplete = headers
            incomplete[name] = nil
            #expect(throws: WebhookSignatureError.missingHeader(name)) { try verifier.verify(headers: incomplete, body: Self.body, now: Self.now) }
        }
    }

    /// As the spec's reference libraries do: the prefix is optional, the key is always base64, and a
    /// secret that is not base64 gives no key (the config loader refuses it before it gets here).
    @Test func aSecretWithoutThePrefixIsBase64AndOneThatIsNotGivesNoKey() {
        let sign = { (secret: String) in StandardWebhooksVerifier(secrets: [secret]).sign(id: Self.id, timestamp: Self.timestamp, body: Self.body) }
        #expect(sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == Self.signature)
        #expect(!StandardWebhooksVerifier(secrets: ["not base64!"]).hasSecrets)
    }

    @Test func aWhsecSecretThatLostItsPaddingOrGainedANewlineStillWorks() {
        let sign = { (secret: String) in StandardWebhooksVerifier(secrets: [secret]).sign(id: Self.id, timestamp: Self.timestamp, body: Self.body) }
        #expect(sign("whsec_bm90IGJhc2U2NCE") == sign("whsec_bm90IGJhc2U2NCE="))
        #expect(sign(Self.secret + "\n") == Self.signature)
    }

    @Test func emptySecretsAreIgnoredSoNobodyCanSignWithAnEmptyKey() {
        let unconfigured = StandardWebhooksVerifier(secrets: ["", "whsec_", "  "])
        #expect(!unconfigured.hasSecrets)
        #expect(verifier.hasSecrets)
        #expect(throws: WebhookSignatureError.noSecretConfigured) { try verify(unconfigured) }
    }

    @Test func errorDescriptionsAreActionableAndNeverContainTheSecret() {
        let errors: [WebhookSignatureError] = [
            .missingHeader("webhook-id"), .malformedTimestamp, .timestampTooOld(tolerance: .seconds(300)),
            .timestampInTheFuture(tolerance: .seconds(90)), .noVersion1Signature, .noMatchingSignature, .noSecretConfigured,
        ]
        for error in errors {
            #expect(!error.description.contains("MfKQ9r8G") && !error.description.contains("whsec_"))
        }
        #expect(WebhookSignatureError.missingHeader("webhook-id").description == "the webhook-id header is missing")
        #expect(WebhookSignatureError.timestampTooOld(tolerance: .seconds(300)).description.hasPrefix("webhook-timestamp is more than 5 minutes old"))
        #expect(WebhookSignatureError.timestampInTheFuture(tolerance: .seconds(90)).description.hasPrefix("webhook-timestamp is more than 90 seconds in the future"))
    }
}

@Suite("Standard Webhooks events")
struct StandardWebhooksParserTests {
    let parser = StandardWebhooksParser()

    func parse(_ body: String, headers: [String: String] = ["webhook-id": "msg_1"]) throws -> EventEnvelope {
        let envelopes = try parser.parse(.fixture(headers: headers, body: body), source: "acme")
        #expect(envelopes.count == 1)
        return try #require(envelopes.first)
    }

    @Test func webhookIdIsTheDeliveryIDAndTimestampTheOccurrenceTime() throws {
        let envelope = try parse(#"{"type": "invoice.updated", "timestamp": "2026-01-02T03:04:05.5Z", "data": {"id": "inv_1", "total": 3}}"#,
                                 headers: ["Webhook-Id": "msg_2Lh9"])
        #expect(envelope.key == EntityKey(source: "acme", type: "invoice", id: "inv_1"))
        #expect(envelope.action == .update)
        #expect(envelope.deliveryID == "msg_2Lh9")
        #expect(envelope.occurredAt == (try Date("2026-01-02T03:04:05Z", strategy: .iso8601)).addingTimeInterval(0.5))
        #expect(envelope.extras == ["event_type": "invoice.updated"])
    }

    @Test func entityTypeIsTheTextBeforeTheLastDotInSnakeCase() throws {
        #expect(try parse(#"{"type": "purchase.order.deleted", "data": {"id": 991}}"#).key
            == EntityKey(source: "acme", type: "purchase_order", id: "991"))
        #expect(try parse(#"{"type": "PurchaseOrder.created", "data": {"id": "po_1"}}"#).key.type == "purchase_order")
        #expect(try parse(#"{"type": "customer-group.updated", "data": {"id": "g"}}"#).key.type == "customer_group")
    }

    @Test(arguments: [
        ("created", EventAction.create), ("create", .create), ("updated", .update), ("update", .update),
        ("deleted", .delete), ("delete", .delete), ("DELETED", .delete), ("paid", .changed), ("voided", .changed),
    ])
    func actionIsTheWordAfterTheLastDot(_ word: String, _ action: EventAction) throws {
        let envelope = try parse(#"{"type": "invoice.\#(word)", "data": {"id": "i"}}"#)
        #expect(envelope.action == action)
        #expect(envelope.extras["event_type"] == "invoice.\(word)")
    }

    @Test func withoutAWebhookIdHeaderThereIsNoDeliveryID() throws {
        #expect(try parse(#"{"type": "invoice.created", "data": {"id": "i"}}"#, headers: [:]).deliveryID == nil)
    }

    @Test(arguments: [
        (#"{"data": {"id": "1"}}"#, #"standard-webhooks: "type" is missing"#),
        (#"{"type": "invoice", "data": {"id": "1"}}"#, #"standard-webhooks: "type" is "invoice"; expected <entity>.<action>, e.g. invoice.updated"#),
        (#"{"type": ".updated", "data": {"id": "1"}}"#, #"standard-webhooks: "type" is ".updated"; expected <entity>.<action>, e.g. invoice.updated"#),
        (#"{"type": "invoice.", "data": {"id": "1"}}"#, #"standard-webhooks: "type" is "invoice."; expected <entity>.<action>, e.g. invoice.updated"#),
        (#"{"type": "../etc.updated", "data": {"id": "1"}}"#, #"standard-webhooks: "../etc" in "type" is not an entity type name"#),
        (#"{"type": "invoice.updated"}"#, #"standard-webhooks: "data" is missing"#),
        (#"{"type": "invoice.updated", "data": {}}"#, #"standard-webhooks: "data.id" is missing"#),
        (#"{"type": "invoice.updated", "data": {"id": false}}"#, #"standard-webhooks: "data.id" is false, not a string or a whole number"#),
    ])
    func malformedEventsAreRejectedNamingTheField(_ body: String, _ reason: String) {
        #expect(rejectionReason(parser, .fixture(body: body)) == reason)
    }
}
