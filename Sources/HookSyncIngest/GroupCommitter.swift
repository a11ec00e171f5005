import HookSyncCore

/// Writes the envelopes of concurrent requests in shared transactions (group commit).
///
/// A request hands its envelopes over and waits for the commit that contains them. While one
/// commit runs, newly arriving requests queue up; the next commit takes all of them at once. So a
/// lone request is committed immediately (no timer, no added delay), and under a burst the number of
/// transactions, and so of fsyncs, grows far slower than the number of requests.
///
/// ```swift
/// let committer = GroupCommitter(queue: store)
/// try await committer.commit(envelopes)   // returns once they are durable
/// ```
actor GroupCommitter {
    private let queue: any WorkQueue
    private var waiting: [(envelopes: [EventEnvelope], continuation: CheckedContinuation<Void, any Error>)] = []
    private var isCommitting = false
    private let onCommit: @Sendable (_ requests: Int) -> Void

    init(queue: any WorkQueue, onCommit: @escaping @Sendable (_ requests: Int) -> Void = { _ in }) {
        self.queue = queue
        self.onCommit = onCommit
    }

    func commit(_ envelopes: [EventEnvelope]) async throws {
        try await withCheckedThrowingContinuation { continuation in
            waiting.append((envelopes, continuation))
            if !isCommitting {
                isCommitting = true
                Task { await drain() }
            }
        }
    }

    private func drain() async {
        while !waiting.isEmpty {
            let batch = waiting
            waiting = []
            do {
                _ = try await queue.enqueue(batch.flatMap(\.envelopes))
                onCommit(batch.count)
                for request in batch { request.continuation.resume() }
            } catch {
                for request in batch { request.continuation.resume(throwing: error) }
            }
        }
        isCommitting = false
    }
}
