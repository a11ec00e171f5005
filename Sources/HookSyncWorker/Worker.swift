import Foundation
public import HookSyncConfig
public import HookSyncCore
public import HookSyncProviders
public import Logging
public import ServiceLifecycle

/// The worker: claims work items in batches, fetches each entity from its provider's API, writes it to
/// the sink, and settles the item: done, retried with backoff, put back (a rate limit, an open
/// circuit, a shutdown), or dead-lettered.
///
/// Run it as a `Service`. Several worker processes may share one queue: the queue never gives two of
/// them the same entity, and a worker that dies (even by kill -9) loses nothing, because its leases
/// expire and the items are claimed again.
///
/// ```swift
/// let worker = Worker(queue: store, sources: sources, sink: mirror, settings: WorkerSettings(options: config.worker))
/// let group = ServiceGroup(services: [worker], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
/// try await group.run()
/// ```
public final class Worker: Service {
    let queue: any QueueStore
    let sources: [String: WorkerSource]
    let sink: any Sink
    let settings: WorkerSettings
    let clock: any WallClock
    let logger: Logger
    let gates: [String: SourceGate]
    let stats = WorkerStats()
    private let completions: GroupCommit<Lease>

    public init(
        queue: any QueueStore, sources: [WorkerSource], sink: any Sink, settings: WorkerSettings,
        clock: any WallClock = SystemWallClock(), logger: Logger = Logger(label: "hooksync.worker")
    ) {
        self.queue = queue
        self.sources = Dictionary(sources.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.sink = sink
        self.settings = settings
        self.clock = clock
        self.logger = logger
        let owner = settings.owner
        // Completions share transactions: at hundreds of fetches a second, one commit each would make
        // the queue's fsyncs the bottleneck. Nothing waits on a completion but the item's lease (its
        // fetch slot is already free), so a commit waits a little for company: fewer, larger commits
        // (docs/decisions.md#completions-and-mirror-writes-linger-10-ms-for-company).
        self.completions = GroupCommit(linger: .milliseconds(10)) { [queue, logger] leases in
            let lost = try await queue.complete(leases)
            if !lost.isEmpty {
                logger.warning("finished items whose lease had expired; another worker redoes them", metadata: [
                    "items": "\(lost.map(\.itemID))", "owner": "\(owner)",
                ])
            }
        }
        self.gates = Dictionary(uniqueKeysWithValues: self.sources.values.map { source in
            (source.name, SourceGate(source: source.name, limits: source.limits, budget: queue, holder: owner, clock: clock) { [queue, logger] health in
                if health.circuit == .closed {
                    logger.notice("circuit closed: fetching again", metadata: ["source": "\(health.source)"])
                } else {
                    logger.warning("circuit \(health.circuit.rawValue): fetches paused", metadata: [
                        "source": "\(health.source)", "reason": "\(health.reason ?? "")", "retry_at": "\(health.retryAt.map { "\($0)" } ?? "")",
                    ])
                }
                do { try await queue.recordSourceHealth(health) } catch {
                    logger.error("could not record the source's circuit state", metadata: ["source": "\(health.source)", "error": "\(error)"])
                }
            })
        })
    }

    public func run() async throws {
        let control = WorkerControl(concurrency: settings.concurrency)
        logger.info("worker started", metadata: [
            "owner": "\(settings.owner)", "concurrency": "\(settings.concurrency)",
            "sources": "\(sources.keys.sorted().joined(separator: ","))",
        ])
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.renewLeases(control) }
                group.addTask { await self.reportProgress(control) }
                group.addTask { await self.pruneNow(control) }
                for _ in 0..<settings.concurrency {
                    group.addTask { await self.fetchSlot(control) }
                }
                await claimLoop(control)
                logger.info("worker stopping: finishing in-flight work", metadata: ["grace": "\(settings.shutdownGrace)"])
                let deadline = ContinuousClock.now + settings.shutdownGrace
                while !control.isIdle, ContinuousClock.now < deadline {
                    await control.waitForChange(timeout: min(.milliseconds(100), deadline - ContinuousClock.now))
                }
                group.cancelAll()
            }
            await releaseLeftovers(control)
            for gate in gates.values { await gate.releaseFinishedSlots() }
        } onGracefulShutdown: {
            control.stop()
        }
        logger.info("worker stopped", metadata: ["synced": "\(stats.snapshot().synced)"])
    }

    /// Keeps the fetch slots supplied: claims whenever fewer items wait than there are slots, so a
    /// slot rarely waits for a claim's commit.
    private func claimLoop(_ control: WorkerControl) async {
        var failedClaims = 0
        while !control.isStopping {
            let room = await control.claimRoom(waitingAtMost: settings.pollInterval)
            guard room > 0 else { continue }
            let items: [WorkItem]
            do {
                items = try await queue.claim(limit: min(room, settings.claimBatch), leaseDuration: settings.leaseDuration, owner: settings.owner)
                failedClaims = 0
            } catch {
                failedClaims += 1
                logger.error("claim failed; retrying", metadata: ["error": "\(error)", "failures": "\(failedClaims)"])
                await control.waitForChange(timeout: settings.pollInterval * min(failedClaims, 25))
                continue
            }
            if items.isEmpty {
                await control.waitForChange(timeout: settings.pollInterval)
                continue
            }
            control.add(items)
        }
    }

    /// One of `concurrency` fetch slots: takes the next claimed item, fetches it, and hands the rest
    /// (the sink's write, the outcome's commit) to a task of its own, so the slot goes straight on to
    /// the next fetch. Both of those commit (the queue's record always, the mirror's write when the
    /// sink is the mirror, each a group commit): waiting for them here would add two fsyncs to every
    /// fetch.
    private func fetchSlot(_ control: WorkerControl) async {
        await withDiscardingTaskGroup { settling in
            while let item = await control.next() {
                guard let lease = item.lease else { continue }
                let fetched = await fetch(item)
                settling.addTask { await self.finish(item, lease: lease, fetched: fetched, control: control) }
            }
        }
    }

    // MARK: One item

    /// What became of one attempt at an item.
    enum Outcome: Equatable {
        case synced
        /// Not tried (rate limit, open circuit): back to pending until then, no attempt counted.
        case deferred(until: Date, reason: String)
        /// Tried and failed in a way that may pass: an attempt counted, then backoff or dead letter.
        case failed(String)
        /// Cannot succeed without a person: dead letter now.
        case hopeless(String)
        /// The worker is stopping; the item is released with the others.
        case interrupted
    }

    /// What a fetch gave: the records to write, or an outcome reached without writing anything.
    enum Fetched {
        case records([SyncRecord])
        case outcome(Outcome)
    }

    /// Writes what the fetch gave, settles the item in the queue, and lets go of its lease.
    func finish(_ item: WorkItem, lease: Lease, fetched: Fetched, control: WorkerControl) async {
        let outcome: Outcome
        switch fetched {
        case .outcome(let reached): outcome = reached
        case .records(let records): outcome = await write(records)
        }
        // An interrupted item keeps its lease until the worker releases everything it holds.
        guard outcome != .interrupted else { return }
        control.settling(item.id)
        await settle(item, lease: lease, outcome: outcome)
        control.finish(item.id)
    }

    func fetch(_ item: WorkItem) async -> Fetched {
        guard let source = sources[item.key.source], let gate = gates[item.key.source] else {
            return .outcome(.hopeless("source \(item.key.source) is not in the configuration (configured: \(sources.keys.sorted().joined(separator: ", ")))"))
        }
        switch await gate.admit(now: clock.now) {
        case .deferred(let until, let reason):
            stats.record(.deferred)
            return .outcome(.deferred(until: until, reason: reason))
        case .proceed:
            break
        }
        do {
            let superseded = source.api.supersededKeys(of: item.key, actions: item.actions, extras: item.extras)
            var records = superseded.map { SyncRecord(key: $0, change: .deleted, actions: item.actions, syncedAt: clock.now) }
            let change: SyncRecord.Change
            let fetched = try await source.api.fetch(item.key, extras: item.extras)
            // Taken as the response is in: what decides between two copies with the same modification
            // time (the mirror's rule), however late this one is written.
            let observedAt = clock.now
            switch fetched {
            case .found(let entity): change = .live(json: entity.json, remoteModifiedAt: entity.remoteModifiedAt)
            case .gone: change = .deleted
            }
            records.append(SyncRecord(key: item.key, change: change, actions: item.actions, observedAt: observedAt, syncedAt: observedAt))
            gate.finished()
            await gate.succeeded(now: clock.now)
            return .records(records)
        } catch {
            gate.finished()
            if Task.isCancelled { return .outcome(.interrupted) }
            return .outcome(await classify(error, gate: gate))
        }
    }

    private func write(_ records: [SyncRecord]) async -> Outcome {
        do {
            try await sink.write(records)
        } catch {
            if Task.isCancelled { return .interrupted }
            return .failed("sink: \(error)")
        }
        stats.record(.synced)
        return .synced
    }

    private func classify(_ error: any Error, gate: SourceGate) async -> Outcome {
        let now = clock.now
        switch error as? ProviderAPIError {
        case .rateLimited(let retryAfter, let detail):
            stats.record(.rateLimited)
            let until = await gate.rateLimited(now: now, retryAfter: retryAfter, reason: detail)
            return .deferred(until: until, reason: "rate limited: \(detail)")
        case .unauthorized(_, let detail):
            await gate.unauthorized(now: now, reason: detail)
            return .deferred(until: gate.nextOpportunity ?? now.addingTimeInterval(1), reason: "credentials refused: \(detail)")
        case .transient(let detail):
            await gate.failed(now: now, reason: detail)
            return .failed(detail)
        case .rejected(let detail):
            return .failed(detail)
        case .unfetchable(let detail):
            return .hopeless(detail)
        case nil:
            await gate.failed(now: now, reason: "\(error)")
            return .failed("\(error)")
        }
    }

    private func settle(_ item: WorkItem, lease: Lease, outcome: Outcome) async {
        do {
            switch outcome {
            case .synced:
                try await completions.submit([lease])
            case .deferred(let until, let reason):
                try await queue.release(lease, runAt: until, reason: reason)
            case .failed(let reason):
                stats.record(.failed)
                let attempts = item.attempts + 1
                if settings.retry.shouldRetry(attempts: attempts) {
                    let retryAt = clock.now.addingTimeInterval(settings.retry.backoff(attempt: attempts).timeInterval)
                    logger.notice("fetch failed; will retry", metadata: [
                        "item": "\(item.id)", "entity": "\(item.key)", "attempt": "\(attempts)", "error": "\(reason)",
                        "retry_at": "\(retryAt)",
                    ])
                    try await queue.fail(lease, retryAt: retryAt, error: reason)
                } else {
                    stats.record(.deadLettered)
                    logger.warning("giving up: item moved to the dead-letter list", metadata: [
                        "item": "\(item.id)", "entity": "\(item.key)", "attempts": "\(attempts)", "error": "\(reason)",
                    ])
                    try await queue.deadLetter(lease, reason: "gave up after \(attempts) attempts: \(reason)")
                }
            case .hopeless(let reason):
                stats.record(.deadLettered)
                logger.warning("item moved to the dead-letter list", metadata: ["item": "\(item.id)", "entity": "\(item.key)", "error": "\(reason)"])
                try await queue.deadLetter(lease, reason: reason)
            case .interrupted:
                break
            }
        } catch {
            // The lease will expire and the item will be claimed again: nothing is lost, only delayed.
            logger.error("could not record the outcome of an item", metadata: ["item": "\(item.id)", "error": "\(error)"])
        }
    }

    // MARK: Background duties

    /// Keeps the leases of slow fetches alive: renews every held lease at a third of its duration.
    private func renewLeases(_ control: WorkerControl) async {
        let interval = settings.leaseDuration / 3
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            let held = Array(control.held.values)
            guard !held.isEmpty else { continue }
            do {
                let renewed = try await queue.extend(held, by: settings.leaseDuration)
                let lost = control.renewed(renewed, asked: held)
                if !lost.isEmpty {
                    logger.warning("lost leases (expired before renewal); another worker redoes these items", metadata: ["items": "\(lost.map(\.itemID))"])
                }
            } catch {
                logger.error("lease renewal failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// One line of progress every `progressInterval`, while there is something to say.
    private func reportProgress(_ control: WorkerControl) async {
        var last = stats.snapshot()
        while !Task.isCancelled {
            try? await Task.sleep(for: settings.progressInterval)
            if Task.isCancelled { return }
            let now = stats.snapshot()
            guard now != last else { continue }
            let seconds = settings.progressInterval.timeInterval
            let inFlight = control.held.count
            logger.info("progress", metadata: [
                "synced": "\(now.synced)", "per_second": "\(String(format: "%.1f", Double(now.synced - last.synced) / seconds))",
                "failed": "\(now.failed)", "deferred": "\(now.deferred)", "rate_limited": "\(now.rateLimited)",
                "dead_lettered": "\(now.deadLettered)", "in_flight": "\(inFlight)",
            ])
            last = now
        }
    }

    /// Retention: nothing else deletes old events and finished items, so the worker does it now and then.
    private func pruneNow(_ control: WorkerControl) async {
        while !Task.isCancelled {
            do {
                let report = try await queue.prune(before: clock.now.addingTimeInterval(-settings.retention.timeInterval))
                if report.events + report.workItems > 0 {
                    logger.info("pruned", metadata: ["events": "\(report.events)", "work_items": "\(report.workItems)"])
                }
            } catch {
                logger.error("prune failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: settings.pruneInterval)
        }
    }

    /// Puts back what the worker still held when it stopped, so another worker need not wait for the leases to expire.
    private func releaseLeftovers(_ control: WorkerControl) async {
        let leftovers = Array(control.held.values)
        guard !leftovers.isEmpty else { return }
        let now = clock.now
        for lease in leftovers {
            _ = try? await queue.release(lease, runAt: now, reason: "worker stopped before finishing")
        }
        logger.notice("released unfinished items", metadata: ["count": "\(leftovers.count)"])
    }
}

/// One source as the worker sees it: the provider's API client and the limits that pace it.
public struct WorkerSource: Sendable {
    public var name: String
    public var api: any ProviderAPI
    public var limits: SourceLimits

    public init(name: String, api: any ProviderAPI, limits: SourceLimits) {
        self.name = name
        self.api = api
        self.limits = limits
    }
}

/// How the worker runs, from `worker:` in hooksync.yaml plus a few knobs tests and benchmarks turn.
public struct WorkerSettings: Sendable {
    public var concurrency: Int
    public var leaseDuration: Duration
    public var retry: RetryStrategy
    public var shutdownGrace: Duration
    /// Names this process in leases and logs.
    public var owner: String
    public var retention: Duration
    /// At most this many items per claim (one transaction).
    public var claimBatch = 128
    /// How long an idle worker waits before asking the queue again.
    public var pollInterval: Duration = .milliseconds(200)
    public var progressInterval: Duration = .seconds(10)
    public var pruneInterval: Duration = .seconds(600)

    public init(options: WorkerOptions, retention: Duration = .seconds(7 * 86_400), owner: String = WorkerSettings.defaultOwner()) {
        concurrency = options.concurrency
        leaseDuration = options.lease
        retry = options.retryStrategy
        shutdownGrace = options.shutdownGrace
        self.retention = retention
        self.owner = owner
    }

    /// `host:pid`, so a lease in the database says which process holds it.
    public static func defaultOwner() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }
}
