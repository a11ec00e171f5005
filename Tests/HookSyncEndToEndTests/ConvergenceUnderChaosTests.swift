import AsyncHTTPClient
import Foundation
import HookSyncTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// The whole product as a user runs it: `hooksync-sim serve`, `hooksync ingest` and `hooksync worker`
/// as separate processes on loopback, webhooks dropped, duplicated and reordered, API calls failing,
/// the worker and then ingest killed with SIGKILL mid-run, same-time batches (versions of one entity
/// that share a modification time); then one full resync. The mirror must equal the simulator's
/// ground truth, and the queue's counts must add up.
@Suite("End to end", .serialized)
struct ConvergenceUnderChaosTests {
    let folder: URL
    let config: String
    let ports: (simulator: Int, ingest: Int)
    let token = "e2e-\(UInt32.random(in: 0...UInt32.max))"
    static let signingSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    init() throws {
        folder = try makeTemporaryFolder("hooksync-e2e")
        ports = (try freeLoopbackPort(), try freeLoopbackPort())
        config = folder.appending(path: "hooksync.yaml").path
    }

    var simulator: String { "http://127.0.0.1:\(ports.simulator)" }
    var hooksync: String { BuildProducts.executable("hooksync") }

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["LOG_LEVEL"] = "error"  // children's pipes are read only at exit: keep them quiet
        environment["E2E_WEBHOOK_TOKEN"] = token
        return environment
    }

    @Test func theMirrorConvergesToUpstreamDespiteLostWebhooksFailingCallsAndKilledProcesses() async throws {
        var children: [ChildProcess] = []
        defer { for child in children { child.kill(SIGKILL) } }
        children.append(try ChildProcess.start(
            BuildProducts.executable("hooksync-sim"),
            ["serve", "--port", "\(ports.simulator)", "--entities", "280", "--seed", "21", "--failure-rate", "0.05"], environment: environment))
        try await waitUntil("the simulator answers") { await get("\(simulator)/_sim/stats") != nil }
        try writeConfig()
        let migrate = try await run(["migrate"])
        try #require(migrate.status == 0, "\(migrate.standardError)")

        var ingest = try start(["ingest"])
        var worker = try start(["worker"])
        children += [ingest, worker]
        try await waitUntil("ingest is ready") { await get("http://127.0.0.1:\(ports.ingest)/readyz") != nil }

        let drive = try await post("\(simulator)/_sim/drive", driveRequest)
        try #require(drive == 202, "the simulator refused the drive")

        // A third of the way in, the worker dies mid-fetch; two thirds in, ingest dies mid-commit.
        try await waitUntil("a third of the webhooks are out") { try await webhookStats()["sent"] ?? 0 >= 150 }
        worker.kill(SIGKILL)
        worker = try start(["worker"])
        children.append(worker)
        try await waitUntil("two thirds of the webhooks are out") { try await webhookStats()["sent"] ?? 0 >= 300 }
        ingest.kill(SIGKILL)
        try await Task.sleep(for: .milliseconds(300))  // deliveries fail meanwhile; the providers retry
        ingest = try start(["ingest"])
        children.append(ingest)

        try await waitUntil("the drive is over", timeout: .seconds(60)) { try await simulatorStats()["running"] as? Bool == false }
        try await waitUntil("the queue is drained", timeout: .seconds(60)) {
            let work = try await status()["work"] as? [String: Int] ?? [:]
            return work["queued"] == 0 && work["pending"] == 0 && work["in_flight"] == 0
        }
        let stats = try await webhookStats()
        #expect(stats["dropped"] ?? 0 > 0 && stats["duplicated"] ?? 0 > 0 && stats["reordered"] ?? 0 > 0, "the faults happened: \(stats)")
        let before = try await differences()
        #expect(!before.isEmpty, "webhooks were dropped, so before reconciling the mirror lags upstream")

        let resync = try await run(["resync", "--full"], timeout: .seconds(60))
        #expect(resync.status == 0, "\(resync.standardError)")

        let remaining = try await differences()
        #expect(remaining.isEmpty, "after one full resync the mirror equals upstream; differences: \(remaining.prefix(10))")

        let document = try await status()
        let work = try #require(document["work"] as? [String: Int])
        let received = try #require(document["received"] as? Int), accepted = try #require(document["accepted"] as? Int)
        let duplicates = try #require(document["duplicates"] as? Int)
        #expect(received == accepted + duplicates)
        #expect(duplicates > 0, "duplicated deliveries were recognised")
        #expect(received >= stats["delivered"] ?? .max, "every delivery answered 2xx is in the event log")
        #expect(work["dead"] == 0 && work["queued"] == 0 && work["pending"] == 0 && work["in_flight"] == 0, "\(work)")
    }

    @Test func aResyncWithoutTheMirrorSendsEveryListedEntityToTheSink() async throws {
        let simulatorProcess = try ChildProcess.start(
            BuildProducts.executable("hooksync-sim"), ["serve", "--port", "\(ports.simulator)", "--entities", "70", "--seed", "5"],
            environment: environment)
        defer { simulatorProcess.kill(SIGKILL) }
        try await waitUntil("the simulator answers") { await get("\(simulator)/_sim/stats") != nil }
        let downstream = folder.appending(path: "downstream.jsonl").path
        try writeConfig(sink: #"sink: { kind: exec, command: "cat >> '\#(downstream)'" }"#)
        let migrate = try await run(["migrate"])
        try #require(migrate.status == 0, "\(migrate.standardError)")

        let resync = try await run(["resync", "--full", "--source", "economic", "--type", "customer"])
        #expect(resync.status == 0, "\(resync.standardError)")
        #expect(resync.standardError.contains("a full pass cannot find deletions"), "\(resync.standardError)")

        let sent = try Self.entities(try Data(contentsOf: URL(fileURLWithPath: downstream)))
        let truth = try Self.entities(try #require(await get("\(simulator)/_sim/truth?source=economic=economic")))
            .filter { $0.key.hasPrefix("economic/customer/") && !$0.value.deleted }
        #expect(!truth.isEmpty)
        #expect(sent.keys.sorted() == truth.keys.sorted())
        for (key, entity) in truth { #expect(sent[key]?.data == entity.data && sent[key]?.modified == entity.modified, "\(key)") }
    }

    // MARK: The run's pieces

    var driveRequest: String {
        let source = { (name: String) in #"{"name": "\#(name)", "token": "\#(token)"}"# }
        return """
            {"webhooks_url": "http://127.0.0.1:\(ports.ingest)",
             "sources": {"precoro": \(source("precoro")), "economic": \(source("economic")), "kladana": \(source("kladana")),
                         "softledger": \(source("softledger")), "standard-webhooks": {"name": "shop", "signing_secret": "\(Self.signingSecret)"}},
             "mutations": 400, "rate": 100, "bulk_imports": 1, "bulk_size": 80, "silent_bulk": 15,
             "same_time_batches": 10, "batch_changes": 4, "batch_spacing_ms": 60,
             "drop_rate": 0.2, "duplicate_rate": 0.1, "reorder_rate": 0.05,
             "concurrency": 8, "max_attempts": 6, "retry_backoff_ms": 100, "timeout_ms": 2000, "seed": 21}
            """
    }

    func writeConfig(sink: String = "") throws {
        let limits = #"limits: ["1000/1s"], max_parallel: 16"#
        try """
            database: ./queue.sqlite
            ingest: { listen: "127.0.0.1:\(ports.ingest)" }
            worker: { concurrency: 16, lease: 2s, backoff_base: 100ms, backoff_max: 1s, shutdown_grace: 1s }
            sources:
              - name: precoro
                kind: precoro
                webhook_token: "${E2E_WEBHOOK_TOKEN}"
                api: { base_url: "\(simulator)/precoro", email: sim@example.com, token: precoro-token, \(limits) }
                reconcile: { types: [purchase_order, invoice] }
              - name: economic
                kind: economic
                webhook_token: "${E2E_WEBHOOK_TOKEN}"
                api: { base_url: "\(simulator)/economic", app_secret_token: economic-app, agreement_grant_token: economic-grant, \(limits) }
                reconcile: { types: [customer, product] }
              - name: kladana
                kind: kladana
                webhook_token: "${E2E_WEBHOOK_TOKEN}"
                api: { base_url: "\(simulator)/kladana/api/remap/1.2", token: kladana-token, \(limits) }
                reconcile: { types: [customerorder] }
              - name: softledger
                kind: softledger
                webhook_token: "${E2E_WEBHOOK_TOKEN}"
                api: { base_url: "\(simulator)/softledger/api", token_url: "\(simulator)/softledger/oauth/token", client_id: sl-client, client_secret: sl-secret, tenant_uuid: sl-tenant, audience: sl-audience, \(limits) }
                reconcile: { types: [ledger_account] }
              - name: shop
                kind: standard-webhooks
                signing_secrets: ["\(Self.signingSecret)"]
                api: { fetch_url: "\(simulator)/standard/{type}/{id}", list_url: "\(simulator)/standard/{type}?updated_since={since}&cursor={cursor}", token: standard-token, \(limits) }
                reconcile: { types: [order] }
            \(sink)
            """.write(toFile: config, atomically: true, encoding: .utf8)
    }

    func start(_ arguments: [String]) throws -> ChildProcess {
        try ChildProcess.start(hooksync, arguments + ["--config", config], environment: environment)
    }

    func run(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> ChildProcess.Result {
        try await start(arguments).wait(timeout: timeout)
    }

    func status() async throws -> [String: Any] {
        let result = try await run(["status", "--json"])
        return try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any] ?? [:]
    }

    func simulatorStats() async throws -> [String: Any] {
        guard let body = await get("\(simulator)/_sim/stats") else { return [:] }
        return try JSONSerialization.jsonObject(with: body) as? [String: Any] ?? [:]
    }

    func webhookStats() async throws -> [String: Int] {
        try await simulatorStats()["webhooks"] as? [String: Int] ?? [:]
    }

    /// Where the mirror and upstream disagree: an entity live upstream but missing, stale or
    /// tombstoned in the mirror, or deleted upstream but live in the mirror.
    func differences() async throws -> [String] {
        let export = try await run(["mirror", "export"])
        let mirror = try Self.entities(Data(export.standardOutput.utf8))
        let sources = ["precoro=precoro", "economic=economic", "kladana=kladana", "softledger=softledger", "standard-webhooks=shop"]
        let truthURL = "\(simulator)/_sim/truth?" + sources.map { "source=\($0)" }.joined(separator: "&")
        let truth = try Self.entities(try #require(await get(truthURL)))
        return Self.differences(mirror: mirror, truth: truth)
    }

    /// Where the mirror disagrees with upstream, one line per entity, sorted.
    static func differences(mirror: [String: Entity], truth: [String: Entity]) -> [String] {
        var found: [String] = []
        for (key, upstream) in truth {
            let ours = mirror[key]
            if upstream.deleted {
                if let ours, !ours.deleted { found.append("\(key): deleted upstream, live in the mirror") }
            } else if ours == nil || ours!.deleted || ours!.data != upstream.data || ours!.modified != upstream.modified {
                let stale = ours.map { ours in ours.modified == upstream.modified ? "another version with the same time" : "stale at \(ours.modified ?? "-")" }
                found.append("\(key): live upstream, \(ours == nil ? "missing" : ours!.deleted ? "tombstoned" : stale!) in the mirror")
            }
        }
        for (key, ours) in mirror where truth[key] == nil && !ours.deleted { found.append("\(key): unknown upstream") }
        return found.sorted()
    }

    struct Entity {
        var deleted: Bool
        var modified: String?
        /// The data with sorted keys, so two serialisations of one object compare equal.
        var data: String?
    }

    static func entities(_ jsonLines: Data) throws -> [String: Entity] {
        var entities: [String: Entity] = [:]
        for line in String(decoding: jsonLines, as: UTF8.self).split(separator: "\n") {
            let row = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let key = "\(row["source"] ?? "")/\(row["type"] ?? "")/\(row["id"] ?? "")"
            let data = try (row["data"] as? [String: Any]).map {
                String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self)
            }
            entities[key] = Entity(deleted: row["deleted"] as? Bool ?? false, modified: row["remote_modified_at"] as? String, data: data)
        }
        return entities
    }
}

// MARK: Loopback helpers

/// The body of a 2xx answer; `nil` for any other answer or no answer.
func get(_ url: String) async -> Data? {
    do {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        return (200..<300).contains(response.status.code) ? Data(body.readableBytesView) : nil
    } catch {
        return nil  // refused, reset or timed out: the process is not (yet, or any more) serving
    }
}

/// POSTs JSON; returns the status code.
func post(_ url: String, _ json: String) async throws -> UInt {
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    request.body = .bytes(ByteBuffer(string: json))
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    _ = try await response.body.collect(upTo: 1 << 20)
    return response.status.code
}
