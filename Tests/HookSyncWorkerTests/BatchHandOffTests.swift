import HookSyncTestSupport
import Synchronization
import Testing
@testable import HookSyncWorker

@Suite struct BatchHandOffTests {
    struct Failure: Error, Equatable {}

    @Test func theConsumerTakesEverythingQueuedInOrderThenTheEnd() async throws {
        let handOff = BatchHandOff<Int>(capacity: 4)
        for n in 1...3 { try await handOff.send(n) }
        #expect(try await handOff.takeAll() == [1, 2, 3])
        try await handOff.send(4)
        handOff.finish()
        #expect(try await handOff.takeAll() == [4])
        #expect(try await handOff.takeAll() == nil)
    }

    @Test func aProducersFailureComesAfterWhatItQueuedBeforeIt() async throws {
        let handOff = BatchHandOff<Int>(capacity: 4)
        try await handOff.send(1)
        handOff.finish(throwing: Failure())
        #expect(try await handOff.takeAll() == [1])
        await #expect(throws: Failure.self) { try await handOff.takeAll() }
    }

    @Test func aWaitingConsumerWakesForTheNextElement() async throws {
        let handOff = BatchHandOff<Int>(capacity: 4)
        let taken = Task { try await handOff.takeAll() }
        try await waitUntil("the consumer waits") { handOff.consumerIsWaiting }
        try await handOff.send(7)
        #expect(try await taken.value == [7])
    }

    @Test func aFullHandOffHoldsTheProducerUntilTheConsumerTakes() async throws {
        let handOff = BatchHandOff<Int>(capacity: 2)
        let sent = Atomic(0)
        let producer = Task {
            for n in 1...3 {
                try await handOff.send(n)
                sent.add(1, ordering: .sequentiallyConsistent)
            }
        }
        try await waitUntil("the producer waits for room") { handOff.producerIsWaiting }
        #expect(sent.load(ordering: .sequentiallyConsistent) == 2)
        #expect(try await handOff.takeAll() == [1, 2])
        try await producer.value
        #expect(try await handOff.takeAll() == [3])
    }

    @Test func takingWhatIsQueuedNeverWaitsAndMakesRoomForAHeldProducer() async throws {
        let handOff = BatchHandOff<Int>(capacity: 2)
        #expect(handOff.takeQueued() == [])
        let producer = Task { for n in 1...4 { try await handOff.send(n) } }
        try await waitUntil("the producer waits for room") { handOff.producerIsWaiting }
        #expect(handOff.takeQueued() == [1, 2])
        try await producer.value
        #expect(handOff.takeQueued() == [3, 4])
        // The end is still reported by takeAll, after what was queued before it.
        #expect(!handOff.isFinished)
        handOff.finish()
        #expect(handOff.isFinished)
        #expect(handOff.takeQueued() == [])
        #expect(try await handOff.takeAll() == nil)
    }

    @Test func closingWakesAWaitingProducerWithCancellation() async throws {
        let handOff = BatchHandOff<Int>(capacity: 1)
        try await handOff.send(1)
        let producer = Task { try await handOff.send(2) }
        try await waitUntil("the producer waits for room") { handOff.producerIsWaiting }
        handOff.close()
        await #expect(throws: CancellationError.self) { try await producer.value }
        await #expect(throws: CancellationError.self) { try await handOff.send(3) }
    }
}
