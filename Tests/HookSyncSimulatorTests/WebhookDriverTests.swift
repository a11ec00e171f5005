import Foundation
import HookSyncCore
import HookSyncSimulator
import HookSyncTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

/// A webhook receiver on loopback that answers every request with `status` and keeps what came.
final class RecordingReceiver: Sendable {
    struct Received: Sendable {
        var method: String
        var path: String
        var query: String
        var headers: [String: String]
        var body: Data
    }

    let received = Mutex<[Received]>([])
    let status: HTTPResponse.Status

    init(status: HTTPResponse.Status = .ok) { self.status = status }

    var requests: [Received] { received.withLock { $0 } }

    /// Runs the receiver for the duration of `body`, handing it the base URL.
    func serve(_ body: (String) async throws -> Void) async throws {
        let router = Router()
        for method in [HTTPRequest.Method.get, .post] {
            router.on("/hooks/**", method: method) { request, _ in
                let bytes = try await request.body.collect(upTo: 1 << 20)
                var headers: [String: String] = [:]
                for field in request.headers { headers[field.name.canonicalName] = field.value }
                self.received.withLock {
                    $0.append(Received(method: request.method.rawValue, path: request.uri.path, query: request.uri.query ?? "", headers: headers, body: Data(bytes.readableBytesView)))
                }
                return Response(status: self.status)
            }
        }
        try await withLoopbackServer(router) { port in try await body("http://127.0.0.1:\(port)") }
    }
}

@Suite struct WebhookDriverTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    func target(_ url: String, retry: WebhookRetry = WebhookRetry(maxAttempts: 2, backoff: .milliseconds(5))) -> WebhookTarget {
        WebhookTarget(baseURL: url, sources: [
            .precoro: WebhookSource(name: "precoro", token: "p"), .economic: WebhookSource(name: "economic", token: "e"),
            .kladana: WebhookSource(name: "kladana", token: "k"), .softledger: WebhookSource(name: "softledger", token: "s"),
            .standardWebhooks: WebhookSource(name: "shop", signingSecret: Self.secret),
        ], retry: retry)
    }

    func simulator() -> ProviderSimulator {
        let simulator = ProviderSimulator(seed: 3)
        SimulatorDataset(entities: 70, seed: 3).load(into: simulator)
        return simulator
    }

    @Test func withoutFaultsEveryAnnouncedChangeArrivesOnceInTheProvidersFormat() async throws {
        let receiver = RecordingReceiver()
        try await receiver.serve { url in
            let driver = try WebhookDriver(simulator: simulator(), target: target(url), faults: .none, seed: 5)
            let stats = try await driver.run(MutationPlan(mutations: 80))
            #expect(stats.mutations == 80)
            #expect(stats.sent == stats.webhooksIntended && stats.delivered == stats.sent && stats.givenUp == 0)
            #expect(receiver.requests.count == stats.sent)
        }
        let paths = Set(receiver.requests.map { $0.path.split(separator: "/").dropFirst().first.map(String.init) ?? "" })
        #expect(paths == ["precoro", "economic", "kladana", "softledger", "shop"], "every targeted source gets webhooks: \(paths)")
        for request in receiver.requests where request.path.hasPrefix("/hooks/economic/") {
            #expect(request.query.contains("newnumber=") && request.query.contains("oldnumber=") && request.query.contains("token=e"))
        }
        for request in receiver.requests where request.path == "/hooks/shop" {
            #expect(request.headers["webhook-signature"]?.hasPrefix("v1,") == true && request.headers["webhook-id"] != nil)
        }
    }

    @Test func faultsDropDuplicateAndReorderTheSameWayForTheSameSeed() async throws {
        var runs: [DriveStats] = []
        for _ in 0..<2 {
            let receiver = RecordingReceiver()
            try await receiver.serve { url in
                let faults = WebhookFaults(dropRate: 0.3, duplicateRate: 0.2, reorderRate: 0.2)
                let stats = try await WebhookDriver(simulator: simulator(), target: target(url), faults: faults, seed: 9).run(MutationPlan(mutations: 150))
                #expect(stats.webhooksIntended - stats.dropped + stats.duplicated == stats.sent)
                #expect(stats.dropped > 0 && stats.duplicated > 0 && stats.reordered > 0)
                #expect(receiver.requests.count == stats.sent)
                runs.append(stats)
            }
        }
        #expect(runs[0] == runs[1])
    }

    @Test func aSilentBulkActionChangesSoftLedgerWithoutAWebhook() async throws {
        let receiver = RecordingReceiver()
        let simulator = simulator()
        let before = simulator.truthLines()
        try await receiver.serve { url in
            let stats = try await WebhookDriver(simulator: simulator, target: target(url), faults: .none, seed: 1)
                .run(MutationPlan(mutations: 0, silentBulk: 5))
            #expect(stats.silent == 5 && stats.mutations == 5 && stats.sent == 0)
        }
        #expect(receiver.requests.isEmpty)
        let changed = zip(before, simulator.truthLines()).filter { $0 != $1 }
        #expect(!changed.isEmpty && changed.allSatisfy { $0.1.contains("\"source\":\"softledger\"") })
    }

    @Test func deliveriesIngestRefusesAreRetriedThenGivenUp() async throws {
        let receiver = RecordingReceiver(status: .serviceUnavailable)
        try await receiver.serve { url in
            let stats = try await WebhookDriver(simulator: simulator(), target: target(url, retry: WebhookRetry(maxAttempts: 3, backoff: .milliseconds(1))), faults: .none, seed: 2)
                .run(MutationPlan(mutations: 10))
            #expect(stats.delivered == 0 && stats.givenUp == stats.sent)
            #expect(stats.attempts == 3 * stats.sent)
            #expect(receiver.requests.count == stats.attempts)
        }
    }

    @Test func aKladanaBulkImportSharesRequestsTenEventsToEach() async throws {
        let receiver = RecordingReceiver()
        try await receiver.serve { url in
            let kladanaOnly = WebhookTarget(baseURL: url, sources: [.kladana: WebhookSource(name: "kladana", token: "k")])
            let stats = try await WebhookDriver(simulator: simulator(), target: kladanaOnly, faults: .none, seed: 4)
                .run(MutationPlan(mutations: 2, bulkImports: 1, bulkSize: 40))
            #expect(stats.mutations == 42)
            #expect(stats.sent == 4 + 2, "40 bulk events in 4 requests, then one request per ordinary change")
        }
        let eventCounts = try receiver.requests.map { request in
            let object = try #require(try JSONSerialization.jsonObject(with: request.body) as? [String: Any])
            return (object["events"] as? [Any])?.count ?? 0
        }
        #expect(eventCounts.sorted() == [1, 1, 10, 10, 10, 10])
        #expect(Set(receiver.requests.compactMap { $0.query.split(separator: "&").first { $0.hasPrefix("requestId=") } }).count == 6)
    }

    /// A Kladana batch: three updates to one entity, 30 ms apart, each announced, all stamped with the
    /// batch's time although Kladana's clock has milliseconds.
    @Test func aSameTimeBatchChangesOneEntityThriceWithOneModificationTime() async throws {
        let receiver = RecordingReceiver()
        let simulator = simulator()
        let started = Date()
        try await receiver.serve { url in
            let kladanaOnly = WebhookTarget(baseURL: url, sources: [.kladana: WebhookSource(name: "kladana", token: "k")])
            let stats = try await WebhookDriver(simulator: simulator, target: kladanaOnly, faults: .none, seed: 6)
                .run(MutationPlan(mutations: 0, sameTimeBatches: 1, batchChanges: 3, batchSpacing: .milliseconds(30)))
            #expect(stats.mutations == 3 && stats.batched == 3 && stats.sent == 3)
        }
        let finished = Date()
        let hrefs = try receiver.requests.map { request in
            let object = try #require(try JSONSerialization.jsonObject(with: request.body) as? [String: Any])
            let event = try #require((object["events"] as? [[String: Any]])?.first)
            return try #require((event["meta"] as? [String: Any])?["href"] as? String)
        }
        #expect(Set(hrefs).count == 1, "one entity: \(hrefs)")
        let id = try #require(hrefs.first?.split(separator: "/").last.map(String.init))
        let line = try #require(simulator.truthLines().first { $0.contains(#""id":"\#(id)""#) })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let modified = try #require((object["remote_modified_at"] as? String).flatMap(CivilTime.parseISO8601))
        #expect(modified >= started.addingTimeInterval(-0.001) && modified < finished.addingTimeInterval(-0.055),
                "stamped with the first change's time, not the last's (60 ms later): \(modified) in \(started)…\(finished)")
    }

    @Test func theDriveEndpointExplainsBadRequestsAndRunsOneDriveAtATime() async throws {
        let receiver = RecordingReceiver()
        try await receiver.serve { url in
            let simulator = simulator()
            try await simulator.application().test(.router) { client in
                let headers: HTTPFields = [.contentType: "application/json"]
                let bad = try await client.execute(uri: "/_sim/drive", method: .post, headers: headers, body: ByteBuffer(string: #"{"sources": {}}"#))
                #expect(bad.status == .badRequest && bad.text.contains("lacks webhooks_url"))
                let rate = try await client.execute(uri: "/_sim/drive", method: .post, headers: headers, body: ByteBuffer(string: """
                    {"webhooks_url": "\(url)", "sources": {"economic": {"name": "economic", "token": "e"}}, "drop_rate": 1.5}
                    """))
                #expect(rate.status == .badRequest && rate.text.contains("drop_rate must be between 0 and 1, got 1.5"))
                let body = #"{"webhooks_url": "\#(url)", "sources": {"economic": {"name": "economic", "token": "e"}}, "mutations": 50, "rate": 100}"#
                #expect(try await client.execute(uri: "/_sim/drive", method: .post, headers: headers, body: ByteBuffer(string: body)).status == .accepted)
                #expect(try await client.execute(uri: "/_sim/drive", method: .post, headers: headers, body: ByteBuffer(string: body)).status == .conflict)
                try await waitUntil("the drive is over") {
                    try await client.execute(uri: "/_sim/stats", method: .get).object["running"] as? Bool == false
                }
                let stats = try await client.execute(uri: "/_sim/stats", method: .get).object["webhooks"] as? [String: Any]
                #expect(stats?["mutations"] as? Int == 50 && stats?["delivered"] as? Int == stats?["sent"] as? Int)

                let faults = try await client.execute(uri: "/_sim/faults", method: .post, headers: headers, body: ByteBuffer(string: #"{"provider": "economic", "forced_status": 401}"#))
                #expect(faults.status == .ok)
                #expect(try await client.execute(uri: "/economic/customers", method: .get, headers: Auth.economic).status == .unauthorized)
            }
        }
        #expect(receiver.requests.count > 0)
    }
}
