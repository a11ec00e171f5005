import Foundation
import HTTPTypes
import HookSyncCore
import HookSyncSimulator
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct KladanaSimulatorTests {
    static let order = "/kladana/api/remap/1.2/entity/customerorder"

    @Test func refusesRequestsWithoutTheBearerToken() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.kladana, type: "customerorder", id: "a1")
        try await simulator.application().test(.router) { client in
            let missing = try await client.execute(uri: "\(Self.order)/a1", method: .get, headers: [.acceptEncoding: "gzip"])
            #expect(missing.status == .unauthorized)
            #expect(missing.object["error"] is String)
            let wrong = try await client.execute(
                uri: "\(Self.order)/a1", method: .get, headers: [.authorization: "Bearer nope", .acceptEncoding: "gzip"])
            #expect(wrong.status == .unauthorized)
        }
    }

    @Test func refusesRequestsThatDoNotAcceptGzip() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.kladana, type: "customerorder", id: "a1")
        try await simulator.application().test(.router) { client in
            let plain = try await client.execute(uri: "\(Self.order)/a1", method: .get, headers: [.authorization: "Bearer kladana-token"])
            #expect(plain.status == .unsupportedMediaType)
            #expect(plain.object["error"] is String)
            let listing = try await client.execute(
                uri: Self.order, method: .get, headers: [.authorization: "Bearer kladana-token", .acceptEncoding: "deflate"])
            #expect(listing.status == .unsupportedMediaType)
        }
    }

    @Test func servesEntitiesInMoscowTimeWithAnAbsoluteSelfLink() async throws {
        let (simulator, clock) = makeSimulator()
        clock.advance(by: .milliseconds(1_234))
        simulator.upsert(.kladana, type: "customerorder", id: "a1", fields: ["name": "00001"])
        try await simulator.application().test(.live) { client in
            let port = try #require(client.port)
            let object = try await client.execute(uri: "\(Self.order)/a1", method: .get, headers: Auth.kladana).object
            #expect(object["id"] as? String == "a1")
            #expect(object["updated"] as? String == "2026-01-01 03:00:01.234")
            #expect(object["name"] as? String == "00001")
            let meta = object["meta"] as? [String: Any]
            #expect(meta?["type"] as? String == "customerorder")
            let href = try #require(meta?["href"] as? String)
            #expect(href.hasPrefix("http://") && href.hasSuffix(":\(port)/kladana/api/remap/1.2/entity/customerorder/a1"))
            // What the API served is what the simulator reports as the entity.
            let served = try await client.execute(uri: "\(Self.order)/a1", method: .get, headers: Auth.kladana)
            #expect(Data(served.body.readableBytesView) == simulator.entityJSON(.kladana, type: "customerorder", id: "a1"))
        }
    }

    @Test func answers404AfterDelete() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.kladana, type: "customerorder", id: "a1")
        simulator.delete(.kladana, type: "customerorder", id: "a1")
        try await simulator.application().test(.router) { client in
            let response = try await client.execute(uri: "\(Self.order)/a1", method: .get, headers: Auth.kladana)
            #expect(response.status == .notFound)
        }
    }

    @Test func listingFollowsNextHrefWithTiesAcrossPages() async throws {
        let (simulator, _) = makeSimulator()
        simulator.upsert(.kladana, type: "customerorder", id: "old", updatedAt: simulatedStart)
        let tie = simulatedStart.addingTimeInterval(600)
        for id in ["c", "a", "e", "b", "d"] { simulator.upsert(.kladana, type: "customerorder", id: id, updatedAt: tie) }
        simulator.upsert(.kladana, type: "customerorder", id: "late", updatedAt: tie.addingTimeInterval(0.001))

        try await simulator.application().test(.ahc(.http)) { client in
            // 00:10:00Z is 03:10:00 in Moscow.
            var url: String? = "\(Self.order)?filter=\(encoded("updated>=2026-01-01 03:10:00"))&order=\(encoded("updated,asc"))&limit=2&offset=0"
            var ids: [String] = []
            while let next = url {
                let response = try await client.execute(uri: pathAndQuery(next), method: .get, headers: Auth.kladana)
                #expect(response.status == .ok)
                let meta = response.object["meta"] as? [String: Any]
                #expect(meta?["size"] as? Int == 6)
                #expect(meta?["limit"] as? Int == 2)
                ids += objects(response.object["rows"]).compactMap { $0["id"] as? String }
                url = meta?["nextHref"] as? String
                if let url { #expect(url.hasPrefix("http://localhost:")) }
            }
            #expect(ids == ["a", "b", "c", "d", "e", "late"])

            let tooMany = try await client.execute(uri: "\(Self.order)?limit=1001", method: .get, headers: Auth.kladana)
            #expect(tooMany.status == .badRequest)
        }
    }

    @Test func rateLimitAnswersWithLognexHeadersInMilliseconds() async throws {
        let (simulator, clock) = makeSimulator()
        simulator.upsert(.kladana, type: "customerorder", id: "a1")
        simulator.setFaults(.kladana, SimulatorFaults(rateLimit: (requests: 1, per: .seconds(3))))
        try await simulator.application().test(.router) { client in
            #expect(try await client.execute(uri: "\(Self.order)/a1", method: .get, headers: Auth.kladana).status == .ok)
            clock.advance(by: .milliseconds(500))
            let limited = try await client.execute(uri: "\(Self.order)/a1", method: .get, headers: Auth.kladana)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[HTTPField.Name("X-Lognex-Retry-After")!] == "2500")
            #expect(limited.headers[HTTPField.Name("X-RateLimit-Remaining")!] == "0")
            #expect(limited.headers[HTTPField.Name("X-Lognex-Reset")!] == "2500")
        }
    }
}
