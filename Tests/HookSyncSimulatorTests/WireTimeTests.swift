import Foundation
import HookSyncCore
import HookSyncSimulator
import NIOCore
import Testing

/// The timestamp spellings, observed through what the simulator serves.
@Suite struct WireTimeTests {
    @Test func printsEachProvidersSpellingOfOneInstant() throws {
        let (simulator, _) = makeSimulator()
        // 2024-02-29T23:59:59.987Z: a leap day, and Moscow is already on March 1.
        let instant = Date(timeIntervalSince1970: 1_709_251_199.987)
        func field(_ provider: SimulatedProvider, _ type: String, _ name: String) throws -> String? {
            let data = simulator.upsert(provider, type: type, id: "1", updatedAt: instant)
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])[name] as? String
        }
        #expect(try field(.precoro, "supplier", "updateDate") == "2024-02-29T23:59:59")
        #expect(try field(.economic, "customer", "lastUpdated") == "2024-02-29T23:59:59Z")
        #expect(try field(.kladana, "customerorder", "updated") == "2024-03-01 02:59:59.987")
        #expect(try field(.softledger, "ledger_account", "updatedAt") == "2024-02-29T23:59:59.987Z")
        #expect(try field(.standardWebhooks, "order", "updated_at") == "2024-02-29T23:59:59.987Z")
    }
}
