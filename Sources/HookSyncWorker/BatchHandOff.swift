import Synchronization

/// A bounded queue from one producer task to one consumer task, in which the consumer takes
/// everything queued at once. The reconciler's listing runs ahead of its writes through one, so the
/// pages that arrive while a transaction commits go into the next transaction together, and the
/// provider and the database each work at their own pace instead of waiting on each other in turn.
///
/// ```swift
/// let pages = BatchHandOff<ListedPage>(capacity: 4)
/// // producer: try await pages.send(page) … pages.finish()   (or pages.finish(throwing: error))
/// // consumer: while let batch = try await pages.takeAll() { write(batch) }; pages.close()
/// ```
final class BatchHandOff<Element: Sendable>: Sendable {
    private enum End {
        case finished
        case failed(any Error)
        /// The consumer stopped taking: a waiting or later `send` throws.
        case closed
    }

    private struct State {
        var queued: [Element] = []
        var end: End?
        var waitingConsumer: CheckedContinuation<Void, Never>?
        var waitingProducer: CheckedContinuation<Void, Never>?
    }

    private enum Sent {
        case queued(wakingConsumer: CheckedContinuation<Void, Never>?)
        case full
        case closed
    }

    private enum Taken {
        case elements([Element], wakingProducer: CheckedContinuation<Void, Never>?)
        case finished
        case failed(any Error)
        case empty
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Queues `element`, waiting while `capacity` elements are queued. Throws `CancellationError` once
    /// the consumer has closed the hand-off.
    func send(_ element: Element) async throws {
        while true {
            let sent: Sent = state.withLock { state in
                if case .closed = state.end { return .closed }
                guard state.queued.count < capacity else { return .full }
                state.queued.append(element)
                defer { state.waitingConsumer = nil }
                return .queued(wakingConsumer: state.waitingConsumer)
            }
            switch sent {
            case .queued(let consumer):
                consumer?.resume()
                return
            case .closed:
                throw CancellationError()
            case .full:
                await withCheckedContinuation { continuation in
                    let goOn = state.withLock { state in
                        if case .closed = state.end { return true }
                        guard state.queued.count >= capacity else { return true }
                        state.waitingProducer = continuation
                        return false
                    }
                    if goOn { continuation.resume() }
                }
            }
        }
    }

    /// No more elements: the consumer takes what is queued, then gets `nil` (or `error`, thrown).
    func finish(throwing error: (any Error)? = nil) {
        let consumer: CheckedContinuation<Void, Never>? = state.withLock { state in
            if state.end == nil { state.end = error.map(End.failed) ?? .finished }
            defer { state.waitingConsumer = nil }
            return state.waitingConsumer
        }
        consumer?.resume()
    }

    /// The consumer is done, whatever is still queued or coming: the producer's `send` throws.
    func close() {
        let producer: CheckedContinuation<Void, Never>? = state.withLock { state in
            state.end = .closed
            state.queued = []
            defer { state.waitingProducer = nil }
            return state.waitingProducer
        }
        producer?.resume()
    }

    /// Whether a `send` waits for room, or a `takeAll` for an element: what a caller (or a test) can
    /// wait for instead of guessing how long the other side takes to get there.
    var producerIsWaiting: Bool { state.withLock { $0.waitingProducer != nil } }
    var consumerIsWaiting: Bool { state.withLock { $0.waitingConsumer != nil } }

    /// The producer has said it is done (or failed, or the consumer closed): nothing more will be queued.
    var isFinished: Bool {
        state.withLock { $0.end != nil }
    }

    /// Everything queued now, in order, without waiting: possibly nothing. The end of the stream (or
    /// its error) is left for `takeAll` to report.
    func takeQueued() -> [Element] {
        guard let (elements, producer) = state.withLock({ Self.drain(&$0) }) else { return [] }
        producer?.resume()
        return elements
    }

    /// Takes what is queued, if anything, with the producer it frees (a full queue is what it waits on).
    private static func drain(_ state: inout State) -> ([Element], wakingProducer: CheckedContinuation<Void, Never>?)? {
        guard !state.queued.isEmpty else { return nil }
        defer {
            state.queued = []
            state.waitingProducer = nil
        }
        return (state.queued, state.waitingProducer)
    }

    /// Everything queued, in order, waiting for at least one element; `nil` once the producer has
    /// finished and everything is taken. Throws the producer's error after the elements queued before it.
    func takeAll() async throws -> [Element]? {
        while true {
            let taken: Taken = state.withLock { state in
                if let (elements, producer) = Self.drain(&state) { return .elements(elements, wakingProducer: producer) }
                switch state.end {
                case .finished, .closed: return .finished
                case .failed(let error): return .failed(error)
                case nil: return .empty
                }
            }
            switch taken {
            case .elements(let elements, let producer):
                producer?.resume()
                return elements
            case .finished:
                return nil
            case .failed(let error):
                throw error
            case .empty:
                await withCheckedContinuation { continuation in
                    let goOn = state.withLock { state in
                        guard state.queued.isEmpty, state.end == nil else { return true }
                        state.waitingConsumer = continuation
                        return false
                    }
                    if goOn { continuation.resume() }
                }
            }
        }
    }
}
