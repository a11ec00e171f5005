import Foundation
import HookSyncTestSupport
import Testing

/// Changes that share a modification time, as upstream makes them: Precoro and e-conomic stamp whole
/// seconds, Kladana milliseconds, and a batch stamps all its changes with one time. `hooksync-sim
/// serve`, `hooksync ingest` and `hooksync worker` run as processes; after a backfill, thirty batches
/// of two changes to one entity with one time, 450 ms apart (more than a webhook takes to become a
/// fetch, so the first change is often fetched before the second is made), and other changes (400
/// within about two seconds at second precision) are announced with 30% of the webhooks lost;
/// then one incremental `hooksync reconcile` (from the watermark minus the lookback, not a full
/// resync) must leave the mirror exactly equal to the simulator's truth. Once per precision.
@Suite("Equal modification times, end to end", .serialized)
struct EqualTimesConvergenceTests {
    enum Precision: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// Precoro and e-conomic.
        case seconds
        /// Kladana.
        case milliseconds

        var testDescription: String { rawValue }

        /// Ordinary changes besides the batches. Kladana's only equal times are a batch's, and with
        /// few entities of one type, hundreds of changes would touch nearly every batched entity
        /// again in a later millisecond, and hide what the batch did.
        var mutations: Int {
            switch self {
            case .seconds: 400
            case .milliseconds: 30
            }
        }

        var sources: [(provider: String, name: String)] {
            switch self {
            case .seconds: [("precoro", "precoro"), ("economic", "economic")]
            case .milliseconds: [("kladana", "kladana")]
            }
        }
    }

    let folder: URL
    let config: String
    let ports: (simulator: Int, ingest: Int)
    let token = "eq-\(UInt32.random(in: 0...UInt32.max))"

    init() throws {
        folder = try makeTemporaryFolder("hooksync-equal-times")
        ports = (try freeLoopbackPort(), try freeLoopbackPort())
        config = folder.appending(path: "hooksync.yaml").path
    }

    var simulator: String { "http://127.0.0.1:\(ports.simulator)" }

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["LOG_LEVEL"] = "error"
        environment["EQ_WEBHOOK_TOKEN"] = token
        return environment
    }

    @Test(arguments: Precision.allCases)
    func oneIncrementalReconcileMakesTheMirrorEqualUpstreamDespiteChangesThatShareATime(_ precision: Precision) async throws {
        var children: [ChildProcess] = []
        defer { for child in children { child.kill(SIGKILL) } }
        children.append(try ChildProcess.start(
            BuildProducts.executable("hooksync-sim"), ["serve", "--port", "\(ports.simulator)", "--entities", "240", "--seed", "28"],
            environment: environment))
        try await waitUntil("the simulator answers") { await get("\(simulator)/_sim/stats") != nil }
        try writeConfig(precision)
        let migrate = try await run(["migrate"])
        try #require(migrate.status == 0, "\(migrate.standardError)")
        children += [try start(["ingest"]), try start(["worker"])]
        try await waitUntil("ingest is ready") { await get("http://127.0.0.1:\(ports.ingest)/readyz") != nil }

        // The backfill, which sets each type's watermark.
        let backfill = try await run(["reconcile"], timeout: .seconds(60))
        try #require(backfill.status == 0, "\(backfill.standardError)")

        let drive = try await post("\(simulator)/_sim/drive", driveRequest(precision))
        try #require(drive == 202, "the simulator refused the drive")
        try await waitUntil("the drive is over", timeout: .seconds(60)) {
            guard let body = await get("\(simulator)/_sim/stats") else { return false }
            return (try JSONSerialization.jsonObject(with: body) as? [String: Any])?["running"] as? Bool == false
        }
        try await waitUntil("the queue is drained", timeout: .seconds(60)) {
            let result = try await run(["status", "--json"])
            let work = (try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])?["work"] as? [String: Int] ?? [:]
            return work["queued"] == 0 && work["pending"] == 0 && work["in_flight"] == 0
        }
        let before = try await differences(precision)

        let reconcile = try await run(["reconcile"], timeout: .seconds(60))
        #expect(reconcile.status == 0, "\(reconcile.standardError)")
        let after = try await differences(precision)
        // The figure the issue asks for, in the test log.
        let sameTime = { (differing: [String]) in differing.filter { $0.contains("same time") }.count }
        print("equal times, \(precision.rawValue): \(after.compared) entities compared; differing after the drive \(before.differing.count)"
              + " (\(sameTime(before.differing)) with the same time), after one incremental reconcile \(after.differing.count) (\(sameTime(after.differing)))")
        #expect(!before.differing.isEmpty, "webhooks were lost, so before reconciling the mirror lags upstream")
        #expect(after.differing.isEmpty, "after one incremental reconcile the mirror equals upstream; differences: \(after.differing.prefix(10))")
    }

    func driveRequest(_ precision: Precision) -> String {
        let sources = precision.sources.map { #""\#($0.provider)": {"name": "\#($0.name)", "token": "\#(token)"}"# }.joined(separator: ", ")
        // No deletes or renumbers: only a full listing sees deletions, and this is about an incremental one.
        return """
            {"webhooks_url": "http://127.0.0.1:\(ports.ingest)", "sources": {\(sources)},
             "mutations": \(precision.mutations), "rate": 200, "mix": {"creates": 1, "updates": 6, "deletes": 0, "renumbers": 0},
             "same_time_batches": 30, "batch_changes": 2, "batch_spacing_ms": 450,
             "drop_rate": 0.3, "concurrency": 8, "max_attempts": 6, "retry_backoff_ms": 100, "timeout_ms": 2000, "seed": 28}
            """
    }

    func writeConfig(_ precision: Precision) throws {
        let limits = #"rate_limit: "1000/1s", burst: 1000, max_parallel: 16"#
        // A short lookback, so that the second pass lists from just before the backfill, not everything.
        let reconcile = "lookback: 2s, max_clock_skew: 1s"
        let sources = precision.sources.map { source -> String in
            switch source.provider {
            case "precoro":
                """
                  - name: precoro
                    kind: precoro
                    webhook_token: "${EQ_WEBHOOK_TOKEN}"
                    api: { base_url: "\(simulator)/precoro", email: sim@example.com, token: precoro-token, \(limits) }
                    reconcile: { types: [purchase_order, invoice], \(reconcile) }
                """
            case "economic":
                """
                  - name: economic
                    kind: economic
                    webhook_token: "${EQ_WEBHOOK_TOKEN}"
                    api: { base_url: "\(simulator)/economic", app_secret_token: economic-app, agreement_grant_token: economic-grant, \(limits) }
                    reconcile: { types: [customer, product], \(reconcile) }
                """
            default:
                """
                  - name: kladana
                    kind: kladana
                    webhook_token: "${EQ_WEBHOOK_TOKEN}"
                    api: { base_url: "\(simulator)/kladana/api/remap/1.2", token: kladana-token, \(limits) }
                    reconcile: { types: [customerorder], \(reconcile) }
                """
            }
        }.joined(separator: "\n")
        try """
            database: ./queue.sqlite
            ingest: { listen: "127.0.0.1:\(ports.ingest)" }
            worker: { concurrency: 16, lease: 2s, backoff_base: 100ms, backoff_max: 1s, shutdown_grace: 1s }
            sources:
            \(sources)
            """.write(toFile: config, atomically: true, encoding: .utf8)
    }

    func start(_ arguments: [String]) throws -> ChildProcess {
        try ChildProcess.start(BuildProducts.executable("hooksync"), arguments + ["--config", config], environment: environment)
    }

    func run(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> ChildProcess.Result {
        try await start(arguments).wait(timeout: timeout)
    }

    /// How many entities of the precision's sources upstream holds, and where the mirror disagrees.
    func differences(_ precision: Precision) async throws -> (compared: Int, differing: [String]) {
        let export = try await run(["mirror", "export"])
        let mirror = try ConvergenceUnderChaosTests.entities(Data(export.standardOutput.utf8))
        let query = precision.sources.map { "source=\($0.provider)=\($0.name)" }.joined(separator: "&")
        let prefixes = precision.sources.map { "\($0.name)/" }
        let truth = try ConvergenceUnderChaosTests.entities(try #require(await get("\(simulator)/_sim/truth?\(query)")))
            .filter { key, _ in prefixes.contains { key.hasPrefix($0) } }
        return (truth.count, ConvergenceUnderChaosTests.differences(mirror: mirror, truth: truth))
    }
}
