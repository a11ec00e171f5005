import AsyncHTTPClient
public import Foundation
import HookSyncCore
import NIOCore
import NIOHTTP1
import Synchronization

/// Plays the providers' side of a day's traffic: changes the simulator's ground truth as a
/// `MutationPlan` says, and sends the webhooks announcing each change to HookSync's ingest in the
/// provider's own format, through the faults of `WebhookFaults` (dropped, duplicated, reordered) and
/// with a provider's retries when ingest does not answer 2xx.
///
/// A change is made to the truth before its webhook leaves, as upstream does, so a fetch prompted by
/// the webhook sees the change (or a later one).
///
/// ```swift
/// let driver = try WebhookDriver(simulator: simulator, target: target, faults: WebhookFaults(dropRate: 0.2), seed: 7)
/// let stats = try await driver.run(MutationPlan(mutations: 500, rate: 100, bulkImports: 1, bulkSize: 100))
/// print(stats.summary)   // 600 mutations, 496 webhooks sent, 120 dropped, …
/// ```
public final class WebhookDriver: Sendable {
    let simulator: ProviderSimulator
    public let target: WebhookTarget
    public let faults: WebhookFaults
    let seed: UInt64
    private let progress = Mutex(DriveStats())

    public init(simulator: ProviderSimulator, target: WebhookTarget, faults: WebhookFaults, seed: UInt64) throws(DriveConfigurationError) {
        try target.validate()
        try faults.validate()
        self.simulator = simulator
        self.target = target
        self.faults = faults
        self.seed = seed
    }

    /// What the drive has done so far (while it runs) or in all (once `run` returns).
    public var stats: DriveStats { progress.withLock { $0 } }

    /// Makes every change of the plan, sends what announces them, and returns once every delivery
    /// has been answered 2xx or given up.
    @discardableResult
    public func run(_ plan: MutationPlan) async throws -> DriveStats {
        try plan.validate()
        // Three generators, so that faults never change which mutations a seed makes, nor the
        // mutations which delivery ids it draws.
        var mutationRandom = SeededGenerator(seed: seed)
        var faultRandom = SeededGenerator(seed: seed &+ 0x5EED)
        var context = WebhookContext(
            random: SeededGenerator(seed: seed &+ 0xD1D), origin: simulator.serverOrigin ?? ProviderSimulator.unboundOrigin,
            kladanaForm: target.kladanaForm, kladanaAccountID: "")
        context.kladanaAccountID = context.random.uuid()
        var schedule = DeliverySchedule(faults: faults)
        let announced = SimulatorDataset.types.filter { target.sources[$0.provider] != nil }
        let bulkTypes = announced.filter { $0.provider != .softledger }
        let start = ContinuousClock.now
        // The batch under way: its provider and type, and its first change (the entity and time the rest share).
        var batch: Batch?

        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            let steps: [DriveStep?] = plan.steps + [nil]
            for step in steps {
                let intended: [WebhookDelivery]
                if let step {
                    if let rate = plan.rate {
                        try await Task.sleep(until: start + .milliseconds(Int64(Double(step.position) * 1_000 / rate)), clock: .continuous)
                    }
                    if case .batchChange(let index) = step.kind, index > 0 { try await Task.sleep(for: plan.batchSpacing) }
                    intended = makeChanges(
                        step, plan: plan, announced: announced, bulkTypes: bulkTypes, batch: &batch, random: &mutationRandom, context: &context)
                } else {
                    intended = []
                }
                let outgoing = progress.withLock { stats in
                    step == nil
                        ? schedule.releaseAll()
                        : intended.flatMap { schedule.admit($0, random: &faultRandom, stats: &stats) }
                }
                for delivery in outgoing {
                    if inFlight >= target.concurrency {
                        try await group.next()
                        inFlight -= 1
                    }
                    group.addTask { await self.deliver(delivery) }
                    inFlight += 1
                }
            }
            try await group.waitForAll()
        }
        return stats
    }

    /// A same-time batch under way.
    struct Batch {
        var provider: SimulatedProvider
        var type: String
        var first: EntityChange
    }

    /// Makes one step's changes to the truth and returns the deliveries the providers mean to send.
    private func makeChanges(
        _ step: DriveStep, plan: MutationPlan, announced: [(provider: SimulatedProvider, type: String)],
        bulkTypes: [(provider: SimulatedProvider, type: String)], batch: inout Batch?, random: inout SeededGenerator, context: inout WebhookContext
    ) -> [WebhookDelivery] {
        switch step.kind {
        case .mutation:
            guard !announced.isEmpty else { return [] }
            let (provider, type) = announced[Int(random.next() % UInt64(announced.count))]
            let change = simulator.mutate(provider, type: type, kind: plan.mix.draw(for: provider, random: &random), random: &random)
            return announce([change], by: provider, context: &context)
        case .bulkImport:
            guard !bulkTypes.isEmpty else { return [] }
            let (provider, type) = bulkTypes[Int(random.next() % UInt64(bulkTypes.count))]
            let changes = (0..<plan.bulkSize).map { _ in
                simulator.mutate(provider, type: type, kind: random.chance(0.5) ? .create : .update, random: &random)
            }
            return announce(changes, by: provider, context: &context)
        case .batchChange(let index):
            guard !bulkTypes.isEmpty else { return [] }
            if index == 0 {
                let (provider, type) = bulkTypes[Int(random.next() % UInt64(bulkTypes.count))]
                let first = simulator.batchUpdate(provider, type: type, id: nil, batchTime: nil, random: &random)
                batch = Batch(provider: provider, type: type, first: first)
                progress.withLock { $0.batched += 1 }
                return announce([first], by: provider, context: &context)
            }
            guard let batch else { return [] }
            let change = simulator.batchUpdate(batch.provider, type: batch.type, id: batch.first.id, batchTime: batch.first.at, random: &random)
            progress.withLock { $0.batched += 1 }
            return announce([change], by: batch.provider, context: &context)
        case .silentBulk:
            for _ in 0..<plan.silentBulk {
                _ = simulator.mutate(.softledger, type: "ledger_account", kind: .update, random: &random)
            }
            progress.withLock { stats in
                stats.mutations += plan.silentBulk
                stats.silent += plan.silentBulk
            }
            return []
        }
    }

    private func announce(_ changes: [EntityChange], by provider: SimulatedProvider, context: inout WebhookContext) -> [WebhookDelivery] {
        let deliveries = simulator.wires[provider]!.webhooks(for: changes, &context)
        let announcedChanges = deliveries.reduce(0) { $0 + $1.changes }
        progress.withLock { stats in
            stats.mutations += changes.count
            stats.suppressed += changes.count - announcedChanges
        }
        return deliveries
    }

    /// Sends one delivery as a provider does: retried with doubling waits until answered 2xx or out
    /// of attempts.
    private func deliver(_ delivery: WebhookDelivery) async {
        let url = target.url(for: delivery)
        progress.withLock { $0.sent += 1 }
        for attempt in 1...target.retry.maxAttempts {
            progress.withLock { $0.attempts += 1 }
            if await attemptDelivery(delivery, url: url) {
                progress.withLock { $0.delivered += 1 }
                return
            }
            if attempt < target.retry.maxAttempts {
                try? await Task.sleep(for: target.retry.delay(afterAttempt: attempt))
            }
        }
        progress.withLock { $0.givenUp += 1 }
    }

    /// One HTTP request; true when answered 2xx. A refused connection or a timeout is a failure like
    /// any other: the provider tries again.
    private func attemptDelivery(_ delivery: WebhookDelivery, url: String) async -> Bool {
        var request = HTTPClientRequest(url: url)
        request.method = delivery.method == .get ? .GET : .POST
        if let contentType = delivery.contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let id = delivery.standardWebhookID {
            let timestamp = String(Int64(Date().timeIntervalSince1970))
            request.headers.add(name: "webhook-id", value: id)
            request.headers.add(name: "webhook-timestamp", value: timestamp)
            if let secret = target.sources[.standardWebhooks]?.signingSecret, let signer = StandardWebhooksSigner(secret: secret) {
                request.headers.add(name: "webhook-signature", value: signer.signature(id: id, timestamp: timestamp, body: delivery.body))
            }
        }
        if delivery.method == .post { request.body = .bytes(ByteBuffer(bytes: delivery.body)) }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(Int64(target.retry.timeout.timeInterval * 1_000)))
            _ = try await response.body.collect(upTo: 1 << 20)
            return (200..<300).contains(response.status.code)
        } catch {
            return false
        }
    }
}

extension MutationMix {
    /// One kind of change, by weight; renumbers only where the provider renumbers (e-conomic).
    func draw(for provider: SimulatedProvider, random: inout SeededGenerator) -> ProviderSimulator.MutationKind {
        let renumbers = provider == .economic ? self.renumbers : 0
        let total = creates + updates + deletes + renumbers
        let draw = Double.random(in: 0..<1, using: &random) * total
        if draw < creates { return .create }
        if draw < creates + updates { return .update }
        if draw < creates + updates + deletes { return .delete }
        return .renumber
    }
}
