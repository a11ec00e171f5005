import Foundation
import HTTPTypes
import HookSyncCore
import HookSyncSimulator
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct SimulatorFaultTests {
    @Test func failNextFailsOnlyTheNextEntityFetches() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.economic, type: "customer", id: "33")
        simulator.setFaults(.economic, SimulatorFaults(failNext: 2))
        try await simulator.application().test(.router) { client in
            // Listings do not use up failNext.
            #expect(try await client.execute(uri: "/economic/customers", method: .get, headers: Auth.economic).status == .ok)
            var statuses: [Int] = []
            for _ in 0..<3 {
                statuses.append(try await client.execute(uri: "/economic/customers/33", method: .get, headers: Auth.economic).status.code)
            }
            #expect(statuses == [503, 503, 200])
        }
        #expect(simulator.fetchCount(.economic, type: "customer", id: "33") == 3)
        #expect(simulator.requestCount(.economic) == 4)
    }

    @Test func countsOverlappingFetchesOfOneEntity() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.standardWebhooks, type: "order", id: "hot")
        simulator.upsert(.standardWebhooks, type: "order", id: "cold")
        // Long enough that the second request arrives while the first is served, even when the
        // machine is slow to open the second connection.
        simulator.setFaults(.standardWebhooks, SimulatorFaults(latency: .seconds(1)))
        // AsyncHTTPClient opens a second connection for the second request, as the worker's client does.
        try await simulator.application().test(.ahc(.http)) { client in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<2 {
                    group.addTask { try await client.execute(uri: "/standard/order/hot", method: .get, headers: Auth.standard).status }
                }
                for try await status in group { #expect(status == .ok) }
            }
            #expect(try await client.execute(uri: "/standard/order/cold", method: .get, headers: Auth.standard).status == .ok)
        }
        #expect(simulator.maxConcurrentFetches(.standardWebhooks, type: "order", id: "hot") == 2)
        #expect(simulator.maxConcurrentFetches(.standardWebhooks, type: "order", id: "cold") == 1)
        #expect(simulator.maxConcurrentFetchesOfAnyEntity() == 2)
        #expect(simulator.peakConcurrency(.standardWebhooks) == 2)
        #expect(simulator.fetchCount(.standardWebhooks, type: "order", id: "hot") == 2)
    }

    @Test func forcedStatusAppliesAfterCredentialsAreChecked() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.kladana, type: "customerorder", id: "a1")
        simulator.setFaults(.kladana, SimulatorFaults(forcedStatus: 401))
        try await simulator.application().test(.router) { client in
            let forced = try await client.execute(uri: "/kladana/api/remap/1.2/entity/customerorder/a1", method: .get, headers: Auth.kladana)
            #expect(forced.status == .unauthorized)
            #expect(forced.object["error"] as? String == "simulated status 401")
            let anonymous = try await client.execute(
                uri: "/kladana/api/remap/1.2/entity/customerorder/a1", method: .get, headers: [.acceptEncoding: "gzip"])
            #expect(anonymous.object["error"] as? String == "invalid or missing bearer token")
        }
    }

    @Test func sameSeedFailsTheSameRequests() async throws {
        func statuses(seed: UInt64) async throws -> [Int] {
            let (simulator, _) = makeSimulator(seed: seed)
            simulator.upsert(.economic, type: "customer", id: "33")
            simulator.setFaults(.economic, SimulatorFaults(failureRate: 0.5))
            return try await simulator.application().test(.router) { client in
                var statuses: [Int] = []
                for _ in 0..<20 {
                    statuses.append(try await client.execute(uri: "/economic/customers/33", method: .get, headers: Auth.economic).status.code)
                }
                return statuses
            }
        }
        let first = try await statuses(seed: 42)
        #expect(try await statuses(seed: 42) == first)
        #expect(Set(first) == [200, 503])
    }

    @Test func timeoutHangsThenAnswers504() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.economic, type: "customer", id: "33")
        simulator.setFaults(.economic, SimulatorFaults(timeoutRate: 1, timeoutDuration: .milliseconds(200)))
        let clock = ContinuousClock()
        try await simulator.application().test(.router) { client in
            let started = clock.now
            let response = try await client.execute(uri: "/economic/customers/33", method: .get, headers: Auth.economic)
            #expect(response.status == .gatewayTimeout)
            #expect(clock.now - started >= .milliseconds(200))
        }
    }

    @Test func latencyDelaysTheAnswer() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.precoro, type: "supplier", id: "1")
        simulator.setFaults(.precoro, SimulatorFaults(latency: .milliseconds(100)))
        let clock = ContinuousClock()
        try await simulator.application().test(.router) { client in
            let started = clock.now
            let response = try await client.execute(uri: "/precoro/suppliers/1", method: .get, headers: Auth.precoro)
            #expect(response.status == .ok)
            #expect(clock.now - started >= .milliseconds(100))
        }
    }
}
