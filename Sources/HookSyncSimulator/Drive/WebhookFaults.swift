/// What goes wrong, on purpose, between a provider and HookSync's webhook receiver. Each delivery
/// a provider means to send is dropped, sent twice, or held back and sent after later ones, each with
/// its rate, decided by the driver's seeded generator.
///
/// ```swift
/// WebhookFaults(dropRate: 0.1, duplicateRate: 0.05, reorderRate: 0.2)
/// ```
public struct WebhookFaults: Sendable, Hashable {
    /// Share of deliveries never sent: the provider lost them.
    public var dropRate: Double
    /// Share of sent deliveries sent a second time, with the same delivery id where the provider has
    /// one (SoftLedger `uuid`, Kladana `requestId`, `webhook-id`) and as the same request where it
    /// has none (Precoro, e-conomic).
    public var duplicateRate: Double
    /// Share of sent deliveries held back until 1 to `maxHoldBack` later deliveries have gone out.
    public var reorderRate: Double

    public init(dropRate: Double = 0, duplicateRate: Double = 0, reorderRate: Double = 0) {
        self.dropRate = dropRate
        self.duplicateRate = duplicateRate
        self.reorderRate = reorderRate
    }

    /// Every delivery sent once, in order.
    public static let none = WebhookFaults()

    /// The most later deliveries a held-back one waits for.
    public static let maxHoldBack = 10

    public func validate() throws(DriveConfigurationError) {
        try DriveConfigurationError.checkRate(dropRate, "drop_rate")
        try DriveConfigurationError.checkRate(duplicateRate, "duplicate_rate")
        try DriveConfigurationError.checkRate(reorderRate, "reorder_rate")
    }
}
