/// Hands the elements of concurrent callers to one commit (group commit), so the number of
/// transactions, and of fsyncs, grows far slower than the number of callers.
///
/// A caller submits and waits for the commit that contains its elements. While one commit runs, new
/// submissions queue up; the next commit takes all of them at once. By default a lone caller is
/// committed at once, so nobody waits for company; a `linger` makes each commit wait that long for
/// more callers first, for callers that would rather have fewer fsyncs than a prompt answer.
///
/// ```swift
/// let completions = GroupCommit<Lease> { leases in try await queue.complete(leases) }
/// try await completions.submit([lease])   // returns once the batch holding it has committed
/// ```
public actor GroupCommit<Element: Sendable> {
    private let commit: @Sendable ([Element]) async throws -> Void
    private let maxBatch: Int
    private let linger: Duration
    private var waiting: [(elements: [Element], continuation: CheckedContinuation<Void, any Error>)] = []
    private var isCommitting = false

    /// `maxBatch` bounds one transaction's size (in elements), so one commit never holds the writer long.
    public init(maxBatch: Int = 4_096, linger: Duration = .zero, commit: @escaping @Sendable ([Element]) async throws -> Void) {
        self.commit = commit
        self.maxBatch = maxBatch
        self.linger = linger
    }

    public func submit(_ elements: [Element]) async throws {
        try await withCheckedThrowingContinuation { continuation in
            waiting.append((elements, continuation))
            if !isCommitting {
                isCommitting = true
                Task { await drain() }
            }
        }
    }

    private func drain() async {
        while !waiting.isEmpty {
            if linger > .zero, waiting.reduce(0, { $0 + $1.elements.count }) < maxBatch {
                try? await Task.sleep(for: linger)
            }
            var count = 1, size = waiting[0].elements.count
            while count < waiting.count, size + waiting[count].elements.count <= maxBatch {
                size += waiting[count].elements.count
                count += 1
            }
            let batch = waiting[..<count]
            waiting.removeFirst(count)
            do {
                try await commit(batch.flatMap(\.elements))
                for caller in batch { caller.continuation.resume() }
            } catch {
                for caller in batch { caller.continuation.resume(throwing: error) }
            }
        }
        isCommitting = false
    }
}
