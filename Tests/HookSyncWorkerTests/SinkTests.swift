import Crypto
import Foundation
import HookSyncCore
import HookSyncProviders
import HookSyncTestSupport
@testable import HookSyncWorker
import Hummingbird
import NIOCore
import Synchronization
import Testing

/// The two sinks besides the mirror: a downstream HTTP endpoint (signed per Standard Webhooks) and a
/// command, each over the real thing (a socket on loopback, a child process).
@Suite struct SinkTests {
    let record = SyncRecord(
        key: EntityKey(source: "economic", type: "customer", id: "33"),
        change: .live(json: Data(#"{"customerNumber":33,"name":"Acme"}"#.utf8), remoteModifiedAt: Date(timeIntervalSince1970: 1_767_225_600)),
        syncedAt: Date(timeIntervalSince1970: 1_767_225_700))
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    struct Delivery: Sendable {
        var headers: [String: String]
        var body: Data
    }

    final class Received: Sendable {
        let deliveries = Mutex<[Delivery]>([])
        var first: Delivery? { deliveries.withLock { $0.first } }
    }

    /// A downstream endpoint that answers `status` and keeps what it was sent.
    func withDownstream(status: HTTPResponse.Status, _ body: (String, Received) async throws -> Void) async throws {
        let received = Received()
        let router = Router()
        router.post("/sink") { request, _ in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            received.deliveries.withLock { $0.append(Delivery(headers: headers, body: Data(bytes.readableBytesView))) }
            return Response(status: status)
        }
        try await withLoopbackServer(router) { port in try await body("http://127.0.0.1:\(port)/sink", received) }
    }

    @Test func theHTTPSinkPostsTheEntitySignedPerStandardWebhooks() async throws {
        let transport = AsyncHTTPTransport(connectTimeout: .seconds(2), readTimeout: .seconds(5))
        try await withDownstream(status: .noContent) { url, received in
            try await HTTPSink(url: url, secret: Self.secret, transport: transport).write([record])
            let delivery = try #require(received.first)
            // Checked from the specification, not with HookSync's own verifier: HMAC-SHA256 over
            // "id.timestamp.body" keyed by the secret's base64 bytes.
            let id = try #require(delivery.headers["webhook-id"]), timestamp = try #require(delivery.headers["webhook-timestamp"])
            let key = SymmetricKey(data: Data(base64Encoded: String(Self.secret.dropFirst("whsec_".count)))!)
            let mac = HMAC<SHA256>.authenticationCode(for: Data("\(id).\(timestamp).".utf8) + delivery.body, using: key)
            #expect(delivery.headers["webhook-signature"] == "v1," + Data(mac).base64EncodedString())
            let message = try #require(try JSONSerialization.jsonObject(with: delivery.body) as? [String: Any])
            #expect(message["type"] as? String == "entity.synced")
            let data = try #require(message["data"] as? [String: Any])
            #expect(data["id"] as? String == "33" && data["deleted"] as? Bool == false)
            #expect((data["data"] as? [String: Any])?["name"] as? String == "Acme")
        }
        try await transport.shutdown()
    }

    /// Two versions with one modification time (a second change within Precoro's or e-conomic's
    /// second) are two messages to a receiver that deduplicates on `webhook-id`; the same version sent
    /// again is one. Each document says when its copy was observed, for the receiver to order them.
    @Test func twoVersionsWithOneTimeGetTwoWebhookIDsAndSayWhenEachWasObserved() async throws {
        let transport = AsyncHTTPTransport(connectTimeout: .seconds(2), readTimeout: .seconds(5))
        var second = record
        second.change = .live(json: Data(#"{"customerNumber":33,"name":"Acme Ltd"}"#.utf8), remoteModifiedAt: Date(timeIntervalSince1970: 1_767_225_600))
        second.observedAt = record.observedAt.addingTimeInterval(0.25)
        try await withDownstream(status: .noContent) { url, received in
            try await HTTPSink(url: url, secret: Self.secret, transport: transport).write([record, second, record])
            let deliveries = received.deliveries.withLock { $0 }
            let ids = deliveries.compactMap { $0.headers["webhook-id"] }
            #expect(ids.count == 3 && ids[0] != ids[1] && ids[0] == ids[2], "\(ids)")
            let observed = try deliveries.map { delivery in
                let message = try #require(try JSONSerialization.jsonObject(with: delivery.body) as? [String: Any])
                return (message["data"] as? [String: Any])?["observed_at"] as? String
            }
            #expect(observed == ["2026-01-01T00:01:40.000Z", "2026-01-01T00:01:40.250Z", "2026-01-01T00:01:40.000Z"])
        }
        try await transport.shutdown()
    }

    @Test func aDownstreamThatRefusesMakesTheWriteFailSoTheWorkerRetries() async throws {
        let transport = AsyncHTTPTransport(connectTimeout: .seconds(2), readTimeout: .seconds(5))
        try await withDownstream(status: .badGateway) { url, _ in
            await #expect(throws: SinkError.self) { try await HTTPSink(url: url, secret: Self.secret, transport: transport).write([record]) }
        }
        try await transport.shutdown()
    }

    @Test func aRefusedConnectionSaysWhereAndWhyInPlainWords() async throws {
        let transport = AsyncHTTPTransport(connectTimeout: .milliseconds(300), readTimeout: .seconds(5))
        let port = try freeLoopbackPort()  // free a moment ago: nothing listens there
        await #expect(throws: ProviderAPIError.transient("127.0.0.1:\(port): connection refused")) {
            _ = try await transport.send(APIRequest(url: "http://127.0.0.1:\(port)/economic/customers?token=secret"))
        }
        try await transport.shutdown()
    }

    @Test func theExecSinkHandsEachEntityToTheCommandOnStandardInput() async throws {
        let folder = try makeTemporaryFolder("exec-sink")
        let output = folder.appending(path: "entities.jsonl").path
        try await ExecSink(command: "cat >> '\(output)'", timeout: .seconds(10)).write([record, record])
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["source"] as? String == "economic" && first["id"] as? String == "33")
    }

    @Test func aCommandThatFailsOrHangsFailsTheWriteWithItsReason() async throws {
        let failing = ExecSink(command: "echo 'disk full' >&2; exit 3", timeout: .seconds(10))
        await #expect { try await failing.write([record]) } throws: { "\($0)".contains("status 3") && "\($0)".contains("disk full") }
        // Exits before reading a large input: the write meets a closed pipe, and only the write fails.
        let large = SyncRecord(key: record.key, change: .live(json: Data(("{\"blob\":\"" + String(repeating: "x", count: 1 << 20) + "\"}").utf8), remoteModifiedAt: nil), syncedAt: Date())
        let deaf = ExecSink(command: "exit 4", timeout: .seconds(10))
        for _ in 0..<3 {
            await #expect { try await deaf.write([large]) } throws: { "\($0)".contains("status 4") }
        }
        let hanging = ExecSink(command: "sleep 2; true", timeout: .milliseconds(200))
        await #expect { try await hanging.write([record]) } throws: { "\($0)".contains("did not finish within") }
    }
}
