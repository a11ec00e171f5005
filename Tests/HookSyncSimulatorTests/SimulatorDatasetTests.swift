import Foundation
import HookSyncCore
import HookSyncSimulator
import Testing

@Suite struct SimulatorDatasetTests {
    @Test func sameSeedGivesTheSameDataset() {
        let first = SimulatorDataset(entities: 50, seed: 9).entries
        #expect(SimulatorDataset(entities: 50, seed: 9).entries == first)
        #expect(SimulatorDataset(entities: 50, seed: 10).entries != first)
    }

    @Test func dealsEntitiesOverEveryTypeAndLoadsThemAll() {
        let dataset = SimulatorDataset(entities: 70, seed: 3)
        let counts = Dictionary(grouping: dataset.entries) { "\($0.provider.rawValue)/\($0.type)" }.mapValues(\.count)
        #expect(counts.count == SimulatorDataset.types.count)
        #expect(Set(counts.values) == [10])

        let (simulator, _) = makeSimulator()
        dataset.load(into: simulator)
        #expect(simulator.truthLines().count == 70)
        let order = dataset.entries.first { $0.provider == .standardWebhooks }!
        #expect(simulator.entityJSON(.standardWebhooks, type: "order", id: order.id) != nil)
    }
}
