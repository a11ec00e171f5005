import HookSyncCore

/// Applies `WebhookFaults` to one drive's stream of deliveries: for each delivery a provider means to
/// send, what goes out now, in order.
///
/// Every delivery takes the same draws whatever the rates, so the same seed makes the same decisions
/// for the same stream; and the decisions come from their own generator, so faults never change
/// which mutations a seed makes.
struct DeliverySchedule {
    let faults: WebhookFaults
    /// Held-back deliveries (one, or two when also duplicated) and how many more deliveries must
    /// pass before they go out.
    private var held: [(copies: [WebhookDelivery], remaining: Int)] = []

    init(faults: WebhookFaults) {
        self.faults = faults
    }

    mutating func admit(_ delivery: WebhookDelivery, random: inout SeededGenerator, stats: inout DriveStats) -> [WebhookDelivery] {
        let drop = random.chance(faults.dropRate)
        let duplicate = random.chance(faults.duplicateRate)
        let holdBack = random.chance(faults.reorderRate)
        let distance = Int.random(in: 1...WebhookFaults.maxHoldBack, using: &random)

        stats.webhooksIntended += 1
        var now: [WebhookDelivery] = []
        var copies: [WebhookDelivery] = []
        if drop {
            stats.dropped += 1
        } else {
            copies = duplicate ? [delivery, delivery] : [delivery]
            if duplicate { stats.duplicated += 1 }
            if !holdBack { now = copies }
        }
        for index in held.indices { held[index].remaining -= 1 }
        now += held.filter { $0.remaining <= 0 }.flatMap(\.copies)
        held.removeAll { $0.remaining <= 0 }
        if holdBack, !copies.isEmpty {
            stats.reordered += 1
            held.append((copies, distance))
        }
        return now
    }

    /// What is still held back, at the end of the drive.
    mutating func releaseAll() -> [WebhookDelivery] {
        defer { held = [] }
        return held.flatMap(\.copies)
    }
}
