import Foundation
import HTTPTypes
import HookSyncCore
import HookSyncSimulator
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct EconomicSimulatorTests {
    @Test func refusesRequestsWithoutBothTokens() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.economic, type: "customer", id: "33")
        try await simulator.application().test(.router) { client in
            let missing = try await client.execute(uri: "/economic/customers/33", method: .get)
            #expect(missing.status == .unauthorized)
            #expect(missing.object["error"] is String)
            let appOnly = try await client.execute(
                uri: "/economic/customers/33", method: .get, headers: [HTTPField.Name("X-AppSecretToken")!: "economic-app"])
            #expect(appOnly.status == .unauthorized)
        }
    }

    @Test func servesEntitiesByNumberUnderTheirCollection() async throws {
        let (simulator, clock) = makeSimulator()
        clock.advance(by: .seconds(3_600 * 27 + 245))  // 2026-01-02T03:04:05Z
        simulator.upsert(.economic, type: "customer", id: "33", fields: ["name": "Acme"])
        simulator.upsert(.economic, type: "draft_invoice", id: "7")
        simulator.upsert(.economic, type: "journal", id: "2")
        try await simulator.application().test(.router) { client in
            let customer = try await client.execute(uri: "/economic/customers/33", method: .get, headers: Auth.economic).object
            #expect(customer["customerNumber"] as? Int == 33)
            #expect(customer["lastUpdated"] as? String == "2026-01-02T03:04:05Z")
            #expect(customer["name"] as? String == "Acme")
            let draft = try await client.execute(uri: "/economic/invoices/drafts/7", method: .get, headers: Auth.economic).object
            #expect(draft["draftInvoiceNumber"] as? Int == 7)
            let journal = try await client.execute(uri: "/economic/journals/2", method: .get, headers: Auth.economic).object
            #expect(journal["journalNumber"] as? Int == 2)
        }
    }

    @Test func answers404AfterDelete() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.economic, type: "product", id: "9")
        simulator.delete(.economic, type: "product", id: "9")
        try await simulator.application().test(.router) { client in
            let response = try await client.execute(uri: "/economic/products/9", method: .get, headers: Auth.economic)
            #expect(response.status == .notFound)
            #expect(response.object["error"] as? String == "not found")
        }
    }

    @Test func renumberMovesTheEntityToItsNewNumber() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.economic, type: "customer", id: "33", fields: ["name": "Acme"])
        simulator.renumber(economicType: "customer", from: "33", to: "34")
        try await simulator.application().test(.router) { client in
            #expect(try await client.execute(uri: "/economic/customers/33", method: .get, headers: Auth.economic).status == .notFound)
            let moved = try await client.execute(uri: "/economic/customers/34", method: .get, headers: Auth.economic).object
            #expect(moved["customerNumber"] as? Int == 34)
            #expect(moved["name"] as? String == "Acme")
            // In the second of the number it left, as e-conomic stamps it: not moved past it.
            #expect(moved["lastUpdated"] as? String == "2026-01-01T00:00:00Z")
        }
    }

    @Test func listingFollowsAbsoluteNextPageLinksWithTiesAcrossPages() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.economic, type: "customer", id: "1", updatedAt: simulatedStart)
        let tie = simulatedStart.addingTimeInterval(3_600)
        for number in [12, 10, 11, 13, 14] { simulator.upsert(.economic, type: "customer", id: "\(number)", updatedAt: tie) }
        simulator.upsert(.economic, type: "customer", id: "2", updatedAt: tie.addingTimeInterval(5))

        try await simulator.application().test(.ahc(.http)) { client in
            let port = try #require(client.port)
            var url: String? = "/economic/customers?filter=\(encoded("lastUpdated$gte:2026-01-01T01:00:00Z"))&sort=lastUpdated&pagesize=2&skippages=0"
            var numbers: [Int] = []
            var pages = 0
            while let next = url {
                let response = try await client.execute(uri: pathAndQuery(next), method: .get, headers: Auth.economic)
                #expect(response.status == .ok)
                numbers += objects(response.object["collection"]).compactMap { $0["customerNumber"] as? Int }
                let pagination = response.object["pagination"] as? [String: Any]
                #expect(pagination?["results"] as? Int == 6)
                url = pagination?["nextPage"] as? String
                if let url { #expect(url.hasPrefix("http://localhost:\(port)/economic/customers?filter=lastUpdated%24gte%3A")) }
                pages += 1
            }
            #expect(pages == 3)
            #expect(numbers == [10, 11, 12, 13, 14, 2])
        }
    }

    @Test func rateLimitAnswersWithRetryAfterSeconds() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.economic, type: "customer", id: "33")
        simulator.setFaults(.economic, SimulatorFaults(rateLimit: (requests: 2, per: .seconds(10))))
        try await simulator.application().test(.router) { client in
            for _ in 0..<2 {
                #expect(try await client.execute(uri: "/economic/customers/33", method: .get, headers: Auth.economic).status == .ok)
            }
            let limited = try await client.execute(uri: "/economic/customers?pagesize=10", method: .get, headers: Auth.economic)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] == "10")
        }
    }
}
