import Foundation
import HTTPTypes
import HookSyncCore
import HookSyncSimulator
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct PrecoroSimulatorTests {
    @Test func refusesRequestsWithoutBothHeaders() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.precoro, type: "supplier", id: "77")
        try await simulator.application().test(.router) { client in
            let missing = try await client.execute(uri: "/precoro/suppliers/77", method: .get)
            #expect(missing.status == .unauthorized)
            #expect(missing.object["error"] is String)
            let wrongEmail = try await client.execute(
                uri: "/precoro/suppliers/77", method: .get,
                headers: [HTTPField.Name("X-AUTH-TOKEN")!: "precoro-token", HTTPField.Name("email")!: "other@example.com"])
            #expect(wrongEmail.status == .unauthorized)
            #expect(try await client.execute(uri: "/precoro/suppliers/77", method: .get, headers: Auth.precoro).status == .ok)
        }
    }

    @Test func servesDocumentsByIDNAndSuppliersByID() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.precoro, type: "purchase_order", id: "123456", fields: ["status": "approved"])
        simulator.upsert(.precoro, type: "purchase_order", id: "123999")
        simulator.upsert(.precoro, type: "supplier", id: "77", fields: ["name": "Acme"])
        #expect(simulator.precoroIDN(type: "purchase_order", id: "123456") == "1")
        #expect(simulator.precoroIDN(type: "purchase_order", id: "123999") == "2")
        #expect(simulator.precoroIDN(type: "supplier", id: "77") == nil)

        try await simulator.application().test(.router) { client in
            let order = try await client.execute(uri: "/precoro/purchaseorders/2", method: .get, headers: Auth.precoro).object
            #expect(order["id"] as? Int == 123999)
            #expect(order["idn"] as? Int == 2)
            #expect(order["updateDate"] as? String == "2026-01-01T00:00:00")

            let first = try await client.execute(uri: "/precoro/purchaseorders/1", method: .get, headers: Auth.precoro).object
            #expect(first["id"] as? Int == 123456)
            #expect(first["status"] as? String == "approved")

            let supplier = try await client.execute(uri: "/precoro/suppliers/77", method: .get, headers: Auth.precoro).object
            #expect(supplier["id"] as? Int == 77)
            #expect(supplier["idn"] == nil)
            #expect(supplier["name"] as? String == "Acme")

            // A document is not reachable by its id.
            #expect(try await client.execute(uri: "/precoro/purchaseorders/123456", method: .get, headers: Auth.precoro).status == .notFound)
        }
        #expect(simulator.fetchCount(.precoro, type: "purchase_order", id: "123456") == 1)
    }

    @Test func answers404AfterDelete() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.precoro, type: "invoice", id: "5")
        simulator.delete(.precoro, type: "invoice", id: "5")
        try await simulator.application().test(.router) { client in
            let response = try await client.execute(uri: "/precoro/invoices/1", method: .get, headers: Auth.precoro)
            #expect(response.status == .notFound)
            #expect(response.object["error"] as? String == "not found")
        }
    }

    @Test func listsByPageInTimeThenIDOrderWithTiesAcrossPages() async throws {
        let (simulator, _) = makeSimulator()
        let tie = simulatedStart.addingTimeInterval(60)
        for id in 1...3 { simulator.upsert(.precoro, type: "invoice", id: "\(id)", updatedAt: simulatedStart) }
        // Twelve rows share one second: page 1 (10 rows) ends inside them.
        for id in 100...111 { simulator.upsert(.precoro, type: "invoice", id: "\(id)", updatedAt: tie) }
        for id in 50...52 { simulator.upsert(.precoro, type: "invoice", id: "\(id)", updatedAt: tie.addingTimeInterval(1)) }
        simulator.delete(.precoro, type: "invoice", id: "52")

        try await simulator.application().test(.router) { client in
            var ids: [Int] = []
            var page = 1
            var totalPages = 0
            repeat {
                let response = try await client.execute(
                    uri: "/precoro/invoices?modifiedSince=2026-01-01T00:01:00&page=\(page)&per_page=10", method: .get, headers: Auth.precoro)
                #expect(response.status == .ok)
                let pagination = (response.object["meta"] as? [String: Any])?["pagination"] as? [String: Any]
                #expect(pagination?["current_page"] as? Int == page)
                #expect(pagination?["total"] as? Int == 14)
                totalPages = pagination?["total_pages"] as? Int ?? 0
                ids += objects(response.object["data"]).compactMap { $0["id"] as? Int }
                page += 1
            } while page <= totalPages
            #expect(totalPages == 2)
            #expect(ids == Array(100...111) + [50, 51])

            let badPageSize = try await client.execute(uri: "/precoro/invoices?per_page=7", method: .get, headers: Auth.precoro)
            #expect(badPageSize.status == .badRequest)
        }
    }

    @Test func rateLimitAnswersWithRetryTimeInTheBody() async throws {
        let (simulator, clock) = makeSimulator()
        simulator.upsert(.precoro, type: "supplier", id: "77")
        simulator.setFaults(.precoro, SimulatorFaults(rateLimit: (requests: 1, per: .seconds(1))))
        try await simulator.application().test(.router) { client in
            #expect(try await client.execute(uri: "/precoro/suppliers/77", method: .get, headers: Auth.precoro).status == .ok)
            let limited = try await client.execute(uri: "/precoro/suppliers/77", method: .get, headers: Auth.precoro)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] == nil)
            #expect(limited.object["RateLimit-Type"] as? String == "Second limiter")
            #expect(limited.object["RateLimit-Retry-After"] as? String == "2026-01-01 00:00:01 UTC")
            #expect(limited.object["RateLimit-Limit"] as? Int == 1)
            clock.advance(by: .seconds(1))
            #expect(try await client.execute(uri: "/precoro/suppliers/77", method: .get, headers: Auth.precoro).status == .ok)
        }
    }

    /// Precoro stamps whole seconds and moves nothing: two changes within one second share a time.
    @Test func changesOfOneEntityWithinASecondShareItsTime() {
        let (simulator, clock) = makeSimulator()
        simulator.upsert(.precoro, type: "supplier", id: "77", fields: ["v": "1"])
        clock.advance(by: .milliseconds(300))
        let second = simulator.upsert(.precoro, type: "supplier", id: "77", fields: ["v": "2"])
        let object = try? JSONSerialization.jsonObject(with: second) as? [String: Any]
        #expect(object?["updateDate"] as? String == "2026-01-01T00:00:00")
        clock.advance(by: .milliseconds(700))
        let third = simulator.upsert(.precoro, type: "supplier", id: "77", fields: ["v": "3"])
        #expect((try? JSONSerialization.jsonObject(with: third) as? [String: Any])?["updateDate"] as? String == "2026-01-01T00:00:01")
    }
}
