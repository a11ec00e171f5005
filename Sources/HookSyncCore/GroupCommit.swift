import Dispatch

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
    /// The committer runs on a thread of its own rather than the cooperative pool. Under a burst the
    /// pool's few threads are busy with requests, and every commit would otherwise wait its turn among
    /// them twice (to start, and to resume after the database's writer answers), which at ingest took
    /// far longer than the SQL (docs/decisions.md#the-group-committer-has-a-thread-of-its-own).
    private let executor = DispatchQueueExecutor(label: "hooksync.group-commit")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    private let commit: Commit

    private enum Commit {
        case awaiting(@Sendable ([Element]) async throws -> Void)
        /// Runs on the committer's own thread, which it may block: nothing else runs there.
        case blocking(@Sendable (_ elements: [Element], _ oldestSubmission: ContinuousClock.Instant) throws -> Void)
    }
    private let maxBatch: Int
    private let linger: Duration
    private var waiting: [(elements: [Element], submittedAt: ContinuousClock.Instant, continuation: CheckedContinuation<Void, any Error>)] = []
    private var isCommitting = false

    /// `maxBatch` bounds one transaction's size (in elements), so one commit never holds the writer long.
    public init(maxBatch: Int = 4_096, linger: Duration = .zero, commit: @escaping @Sendable ([Element]) async throws -> Void) {
        self.commit = .awaiting(commit)
        self.maxBatch = maxBatch
        self.linger = linger
    }

    /// A committer whose commit blocks (a synchronous database call) on the committer's own thread,
    /// so a commit never waits for another thread to run it or to hear its result. The commit is told
    /// when the batch's longest-waiting caller submitted, so that it can bound how long it waits for a
    /// lock by what that caller has already waited: a caller who queued behind a commit that waited out
    /// a lock would otherwise wait as long again.
    public init(
        maxBatch: Int = 4_096, linger: Duration = .zero,
        blockingCommit: @escaping @Sendable (_ elements: [Element], _ oldestSubmission: ContinuousClock.Instant) throws -> Void
    ) {
        self.commit = .blocking(blockingCommit)
        self.maxBatch = maxBatch
        self.linger = linger
    }

    /// `submittedAt` is read by the caller, before it waits for the committer's thread: a blocking
    /// commit holds that thread, and the wait for it is part of the caller's wait.
    public func submit(_ elements: [Element], submittedAt: ContinuousClock.Instant = .now) async throws {
        try await withCheckedThrowingContinuation { continuation in
            waiting.append((elements, submittedAt, continuation))
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
                // A closure, not `\.elements`: a key path here is built at run time on every commit.
                let elements = batch.flatMap { $0.elements }
                switch commit {
                case .awaiting(let commit): try await commit(elements)
                // Callers reach the committer in no set order, so the earliest is looked for.
                case .blocking(let commit): try commit(elements, batch.lazy.map { $0.submittedAt }.min()!)
                }
                for caller in batch { caller.continuation.resume() }
            } catch {
                for caller in batch { caller.continuation.resume(throwing: error) }
            }
        }
        isCommitting = false
    }
}

/// A serial executor on a dispatch queue of its own: an actor that names it as its `unownedExecutor`
/// runs there, off the cooperative pool.
final class DispatchQueueExecutor: SerialExecutor, @unchecked Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label, qos: .userInitiated)
    }

    func enqueue(_ job: UnownedJob) {
        queue.async { job.runSynchronously(on: self.asUnownedSerialExecutor()) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    func checkIsolated() {
        dispatchPrecondition(condition: .onQueue(queue))
    }
}
