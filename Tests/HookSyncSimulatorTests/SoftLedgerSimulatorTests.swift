import Foundation
import HTTPTypes
import HookSyncCore
import HookSyncSimulator
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct SoftLedgerSimulatorTests {
    @Test func requiresAnIssuedTokenAndCorrectClientCredentials() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.softledger, type: "ledger_account", id: "17")
        try await simulator.application().test(.router) { client in
            let anonymous = try await client.execute(uri: "/softledger/api/ledger_account/17", method: .get)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.object["error"] is String)
            let invented = try await client.execute(uri: "/softledger/api/ledger_account/17", method: .get, headers: Auth.bearer("made-up"))
            #expect(invented.status == .unauthorized)
            let wrongSecret = try await softLedgerToken(client, secret: "guess")
            #expect(wrongSecret.status == .unauthorized)
            let issued = try await softLedgerToken(client)
            #expect(issued.status == .ok)
            #expect(issued.object["token_type"] as? String == "Bearer")
            #expect(issued.object["expires_in"] as? Int == 3_600)
            let token = try #require(issued.object["access_token"] as? String)
            #expect(try await client.execute(uri: "/softledger/api/ledger_account/17", method: .get, headers: Auth.bearer(token)).status == .ok)
        }
        #expect(simulator.tokenRequestCount() == 2)
    }

    @Test func matchesTheObjectTypeIgnoringCaseAndUnderscores() async throws {
        let (simulator, clock) = makeSimulator()
        clock.advance(by: .milliseconds(678))
        simulator.upsert(.softledger, type: "ledger_account", id: "17", fields: ["name": "Cash"])
        try await simulator.application().test(.router) { client in
            let token = try #require(try await softLedgerToken(client).object["access_token"] as? String)
            for objectType in ["LedgerAccount", "ledgeraccount", "ledger_account"] {
                let object = try await client.execute(uri: "/softledger/api/\(objectType)/17", method: .get, headers: Auth.bearer(token)).object
                #expect(object["_id"] as? Int == 17)
                #expect(object["updatedAt"] as? String == "2026-01-01T00:00:00.678Z")
                #expect(object["name"] as? String == "Cash")
            }
        }
        #expect(simulator.fetchCount(.softledger, type: "ledger_account", id: "17") == 3)
    }

    @Test func answers404AfterDelete() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.softledger, type: "ledger_account", id: "17")
        simulator.delete(.softledger, type: "ledger_account", id: "17")
        try await simulator.application().test(.router) { client in
            let token = try #require(try await softLedgerToken(client).object["access_token"] as? String)
            let response = try await client.execute(uri: "/softledger/api/LedgerAccount/17", method: .get, headers: Auth.bearer(token))
            #expect(response.status == .notFound)
        }
    }

    @Test func listingPagesByOffsetWithTiesAcrossPages() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.softledger, type: "ledger_account", id: "1", updatedAt: simulatedStart)
        let tie = simulatedStart.addingTimeInterval(10)
        for id in [23, 21, 22, 24] { simulator.upsert(.softledger, type: "ledger_account", id: "\(id)", updatedAt: tie) }
        simulator.upsert(.softledger, type: "ledger_account", id: "5", updatedAt: tie.addingTimeInterval(1))
        try await simulator.application().test(.router) { client in
            let token = try #require(try await softLedgerToken(client).object["access_token"] as? String)
            let filter = encoded(#"{"updatedAt":{"$gte":"2026-01-01T00:00:10Z"}}"#)
            var ids: [Int] = []
            var offset = 0
            while true {
                let response = try await client.execute(
                    uri: "/softledger/api/ledger_account?where=\(filter)&limit=3&offset=\(offset)", method: .get, headers: Auth.bearer(token))
                #expect(response.status == .ok)
                #expect(response.object["totalItems"] as? Int == 5)
                let page = objects(response.object["data"]).compactMap { $0["_id"] as? Int }
                ids += page
                offset += 3
                if page.count < 3 { break }
            }
            #expect(ids == [21, 22, 23, 24, 5])
            let unknownFilter = try await client.execute(
                uri: "/softledger/api/ledger_account?where=\(encoded(#"{"name":"x"}"#))", method: .get, headers: Auth.bearer(token))
            #expect(unknownFilter.status == .badRequest)
        }
    }

    @Test func rateLimitAnswersWithRetryAfterSeconds() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.softledger, type: "ledger_account", id: "17")
        simulator.setFaults(.softledger, SimulatorFaults(rateLimit: (requests: 1, per: .seconds(2))))
        try await simulator.application().test(.router) { client in
            let token = try #require(try await softLedgerToken(client).object["access_token"] as? String)
            #expect(try await client.execute(uri: "/softledger/api/ledger_account/17", method: .get, headers: Auth.bearer(token)).status == .ok)
            let limited = try await client.execute(uri: "/softledger/api/ledger_account/17", method: .get, headers: Auth.bearer(token))
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] == "2")
        }
    }

    @Test func tokensExpireAfterTheirLifetime() async throws {
        var credentials = SimulatorCredentials()
        credentials.softledgerTokenTTL = .seconds(60)
        let (simulator, clock) = makeSimulator(credentials: credentials)
        simulator.upsert(.softledger, type: "ledger_account", id: "17")
        try await simulator.application().test(.router) { client in
            let issued = try await softLedgerToken(client)
            #expect(issued.object["expires_in"] as? Int == 60)
            let token = try #require(issued.object["access_token"] as? String)
            clock.advance(by: .seconds(59))
            #expect(try await client.execute(uri: "/softledger/api/ledger_account/17", method: .get, headers: Auth.bearer(token)).status == .ok)
            clock.advance(by: .seconds(1))
            let expired = try await client.execute(uri: "/softledger/api/ledger_account/17", method: .get, headers: Auth.bearer(token))
            #expect(expired.status == .unauthorized)
            #expect(expired.object["error"] as? String == "access token expired")
            let renewed = try #require(try await softLedgerToken(client).object["access_token"] as? String)
            #expect(renewed != token)
            #expect(try await client.execute(uri: "/softledger/api/ledger_account/17", method: .get, headers: Auth.bearer(renewed)).status == .ok)
        }
        #expect(simulator.tokenRequestCount() == 2)
    }
}
