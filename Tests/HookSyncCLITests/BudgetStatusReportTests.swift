import Foundation
import HookSyncApp
import HookSyncCore
import Testing

@Suite("Budget in status")
struct BudgetStatusReportTests {
    @Test func statusSaysWhatIsLeftOfEachWindowWhatIsInFlightAndWhyTheSourceIsPaused() throws {
        let now = Date(timeIntervalSince1970: 1_767_225_600)
        let budget = SourceBudgetStatus(
            source: "precoro",
            windows: [
                WindowUsage(window: BudgetWindow(requests: 1, per: .seconds(1)), used: 1, refillsAt: now.addingTimeInterval(1)),
                WindowUsage(window: BudgetWindow(requests: 3_000, per: .seconds(86_400)), used: 3_000, refillsAt: now.addingTimeInterval(3_600)),
            ],
            maxParallel: 1, inFlight: 1, pausedUntil: now.addingTimeInterval(7_200), pauseReason: "Daily limiter")
        let status = QueueStatus(
            generatedAt: now, schemaVersion: "0005_budget", accepted: 0, duplicates: 0, work: WorkCounts(), quarantined: 0,
            oldestPendingAgeSeconds: nil,
            sources: [SourceStatus(name: "precoro", accepted: 0, duplicates: 0, lastDeliveryAt: nil, work: WorkCounts(), budget: budget)])
        let text = StatusReport.text(status)
        #expect(text.contains("precoro budget: 1/1s 0 left (next in 1s), 3000/1d 0 left (next in 1h00m); 1/1 in flight; paused until 2026-01-01T02:00:00Z (in 2h00m): Daily limiter"), "\(text)")
        let json = try StatusReport.json(status)
        #expect(json.contains(#""remaining" : 0"#))
        #expect(json.contains(#""refills_at" : "2026-01-01T01:00:00Z""#))
        #expect(json.contains(#""pause_reason" : "Daily limiter""#))
        #expect(json.contains(#""in_flight" : 1"#))
    }
}
