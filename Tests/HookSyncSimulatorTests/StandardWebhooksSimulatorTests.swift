import Foundation
import HTTPTypes
import HookSyncCore
import HookSyncSimulator
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct StandardWebhooksSimulatorTests {
    @Test func requiresTheBearerTokenOnlyWhenOneIsConfigured() async throws {
        let (guarded, _) = makeSimulator()
        guarded.upsert(.standardWebhooks, type: "order", id: "ord_1")
        try await guarded.application().test(.router) { client in
            let missing = try await client.execute(uri: "/standard/order/ord_1", method: .get)
            #expect(missing.status == .unauthorized)
            #expect(missing.object["error"] is String)
            #expect(try await client.execute(uri: "/standard/order/ord_1", method: .get, headers: Auth.standard).status == .ok)
        }
        var open = SimulatorCredentials()
        open.standardToken = nil
        let (unguarded, _) = makeSimulator(credentials: open)
        unguarded.upsert(.standardWebhooks, type: "order", id: "ord_1")
        try await unguarded.application().test(.router) { client in
            let response = try await client.execute(uri: "/standard/order/ord_1", method: .get)
            #expect(response.status == .ok)
        }
    }

    @Test func servesEntitiesWithIDTypeAndUpdatedAt() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.standardWebhooks, type: "order", id: "42", fields: ["total": "9.50"])
        try await simulator.application().test(.router) { client in
            let object = try await client.execute(uri: "/standard/order/42", method: .get, headers: Auth.standard).object
            #expect(object["id"] as? String == "42")
            #expect(object["type"] as? String == "order")
            #expect(object["updated_at"] as? String == "2026-01-01T00:00:00.000Z")
            #expect(object["total"] as? String == "9.50")
        }
    }

    @Test func answers404AfterDelete() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.standardWebhooks, type: "order", id: "ord_1")
        simulator.delete(.standardWebhooks, type: "order", id: "ord_1")
        try await simulator.application().test(.router) { client in
            let response = try await client.execute(uri: "/standard/order/ord_1", method: .get, headers: Auth.standard)
            #expect(response.status == .notFound)
        }
    }

    @Test func listingFollowsCursorsWithTiesAcrossPages() async throws {
        let (simulator, _) = makeSimulator()
        simulator.standardWebhooksPageSize = 2
        simulator.upsert(.standardWebhooks, type: "order", id: "early", updatedAt: simulatedStart)
        let tie = simulatedStart.addingTimeInterval(5)
        for id in ["o3", "o1", "o2"] { simulator.upsert(.standardWebhooks, type: "order", id: id, updatedAt: tie) }
        simulator.upsert(.standardWebhooks, type: "order", id: "o0", updatedAt: tie.addingTimeInterval(1))
        try await simulator.application().test(.router) { client in
            var cursor = ""
            var ids: [String] = []
            var pages = 0
            repeat {
                let response = try await client.execute(
                    uri: "/standard/order?updated_since=\(encoded("2026-01-01T00:00:05Z"))&cursor=\(encoded(cursor))", method: .get,
                    headers: Auth.standard)
                #expect(response.status == .ok)
                ids += objects(response.object["data"]).compactMap { $0["id"] as? String }
                cursor = response.object["next_cursor"] as? String ?? ""
                if cursor.isEmpty { #expect(response.object["next_cursor"] is NSNull) }
                pages += 1
            } while !cursor.isEmpty
            #expect(pages == 2)
            #expect(ids == ["o1", "o2", "o3", "o0"])
            #expect(try await client.execute(uri: "/standard/order?cursor=garbage!", method: .get, headers: Auth.standard).status == .badRequest)
        }
    }

    @Test func rateLimitAnswersWithRetryAfterSeconds() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.standardWebhooks, type: "order", id: "ord_1")
        simulator.setFaults(.standardWebhooks, SimulatorFaults(rateLimit: (requests: 1, per: .milliseconds(1_500))))
        try await simulator.application().test(.router) { client in
            #expect(try await client.execute(uri: "/standard/order/ord_1", method: .get, headers: Auth.standard).status == .ok)
            let limited = try await client.execute(uri: "/standard/order/ord_1", method: .get, headers: Auth.standard)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] == "2")
        }
    }
}
