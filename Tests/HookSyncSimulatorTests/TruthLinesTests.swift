import Foundation
import HookSyncCore
import HookSyncSimulator
import NIOCore
import Testing

@Suite struct TruthLinesTests {
    @Test func listsEveryEntityOfTheNamedSourcesInSourceTypeIDOrder() throws {
        let (simulator, clock) = makeSimulator()
        simulator.upsert(.economic, type: "customer", id: "33", fields: ["name": "Acme"])
        simulator.upsert(.economic, type: "customer", id: "4")
        simulator.upsert(.precoro, type: "invoice", id: "9")
        simulator.upsert(.kladana, type: "customerorder", id: "a1")
        clock.advance(by: .milliseconds(1_500))
        simulator.upsert(.economic, type: "product", id: "p1")
        simulator.delete(.economic, type: "customer", id: "4")

        let lines = simulator.truthLines(sourceNames: [.economic: "econ", .precoro: "procurement"])
        let objects = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(objects.map { "\($0["source"]!)/\($0["type"]!)/\($0["id"]!)" } == [
            "econ/customer/33", "econ/customer/4", "econ/product/p1", "procurement/invoice/9",
        ])
        #expect(Set(objects[0].keys) == ["source", "type", "id", "deleted", "remote_modified_at", "data"])

        let live = objects[0]
        #expect(live["deleted"] as? Bool == false)
        #expect(live["remote_modified_at"] as? String == "2026-01-01T00:00:00.000Z")
        let data = try #require(live["data"] as? [String: Any])
        #expect(data["customerNumber"] as? Int == 33)
        #expect(data["name"] as? String == "Acme")

        let deleted = objects[1]
        #expect(deleted["deleted"] as? Bool == true)
        #expect(deleted["data"] is NSNull)
        #expect(deleted["remote_modified_at"] as? String == "2026-01-01T00:00:00.000Z")

        // e-conomic prints whole seconds, so that is what the truth holds too.
        #expect(objects[2]["remote_modified_at"] as? String == "2026-01-01T00:00:01.000Z")
    }

    @Test func dataIsTheEntityAsServed() throws {
        let (simulator, _) = makeSimulator()
        let served = simulator.upsert(.softledger, type: "ledger_account", id: "17", fields: ["name": "Cash"])
        let line = try #require(simulator.truthLines(sourceNames: [.softledger: "sl"]).first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let data = try JSONSerialization.data(withJSONObject: try #require(object["data"]), options: [.sortedKeys])
        #expect(data == served)
    }
}
