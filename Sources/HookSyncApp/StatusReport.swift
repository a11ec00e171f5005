import Foundation
public import HookSyncCore

/// Renders the queue's status for people (`hooksync status`) and programs (`--json`).
public enum StatusReport {
    /// The stable JSON document described in docs/status.md.
    public static func json(_ status: QueueStatus) throws -> String {
        try JSONDocument.encode(status)
    }

    public static func text(_ status: QueueStatus) -> String {
        var lines: [String] = []
        lines.append("received     \(status.received)  (accepted \(status.accepted), duplicates dropped \(status.duplicates))")
        lines.append("queued       \(status.work.queued)  (accepted events not yet grouped into work items)")
        lines.append("pending      \(status.work.pending)" + (status.oldestPendingAgeSeconds.map { "  (oldest \(age($0)))" } ?? ""))
        lines.append("in flight    \(status.work.inFlight)")
        lines.append("done         \(status.work.done)  (\(status.work.merged) more merged into other items)")
        lines.append("dead-letter  \(status.work.dead)" + (status.work.dead > 0 ? "  (hooksync dead-letters list)" : ""))
        lines.append("quarantined  \(status.quarantined)")
        if !status.sources.isEmpty {
            lines.append("")
            let width = max(6, status.sources.map(\.name.count).max() ?? 0)
            lines.append("source".padding(toLength: width, withPad: " ", startingAt: 0)
                + "  received  pending  in-flight  dead  circuit  next retry  last delivery")
            for source in status.sources {
                let last = source.lastDeliveryAt.map { "\(ISO8601DateFormatter().string(from: $0)) (\(age(status.generatedAt.timeIntervalSince($0))) ago)" } ?? "never"
                lines.append(source.name.padding(toLength: width, withPad: " ", startingAt: 0)
                    + "  " + pad(source.received, 8) + "  " + pad(source.work.pending, 7)
                    + "  " + pad(source.work.inFlight, 9) + "  " + pad(source.work.dead, 4)
                    + "  " + source.circuit.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)
                    + "  " + (source.nextRetryAt.map { relative($0, from: status.generatedAt) } ?? "-").padding(toLength: 10, withPad: " ", startingAt: 0)
                    + "  " + last)
            }
            for source in status.sources {
                guard let budget = source.budget else { continue }
                lines.append("  \(source.name) budget: " + budgetLine(budget, now: status.generatedAt))
            }
            for source in status.sources where source.circuit != .closed {
                lines.append("  \(source.name): circuit \(source.circuit.rawValue)"
                    + (source.circuitRetryAt.map { ", next probe \(relative($0, from: status.generatedAt))" } ?? "")
                    + (source.circuitReason.map { ": \($0)" } ?? ""))
            }
        }
        if !status.reconcile.passes.isEmpty || status.reconcile.waitingResyncs > 0 {
            lines.append("")
            lines.append("reconcile passes (running first, then the latest)" + (status.reconcile.waitingResyncs > 0
                ? "; \(status.reconcile.waitingResyncs) resync request(s) waiting for the next run" : ""))
            for pass in status.reconcile.passes {
                let when = pass.finishedAt.map { "finished \(age(status.generatedAt.timeIntervalSince($0))) ago" }
                    ?? "started \(age(status.generatedAt.timeIntervalSince(pass.startedAt))) ago"
                let holderGone = pass.holderIsGone ? " (its holder \(pass.owner) is gone: the next run resumes it)" : ""
                lines.append("  #\(pass.id) \(pass.plan.source)/\(pass.plan.type) \(pass.plan.mode.rawValue) \(pass.state)\(holderGone), \(when):"
                    + " \(pass.counts.pages) pages, \(pass.counts.listed) listed, \(pass.counts.changed) changed, \(pass.counts.deleted) deleted"
                    + (pass.error.map { " — \($0)" } ?? ""))
            }
        }
        lines.append("")
        lines.append("schema \(status.schemaVersion), as of \(ISO8601DateFormatter().string(from: status.generatedAt))")
        return lines.joined(separator: "\n")
    }

    /// `1/1s 0 left (refills in 1s), 1500/1h 1412 left; 1/1 in flight; paused until … (in 3h05m): Daily limiter`
    static func budgetLine(_ budget: SourceBudgetStatus, now: Date) -> String {
        let windows = budget.windows.map { usage in
            "\(usage.window) \(usage.remaining) left" + (usage.refillsAt.map { " (next in \(age(max(0, $0.timeIntervalSince(now)))))" } ?? "")
        }
        let pause = budget.pausedUntil.map {
            "; paused until \(ISO8601DateFormatter().string(from: $0)) (\(relative($0, from: now)))" + (budget.pauseReason.map { ": \($0)" } ?? "")
        }
        return windows.joined(separator: ", ") + "; \(budget.inFlight)/\(budget.maxParallel) in flight" + (pause ?? "")
    }

    /// `in 42s`, or `now` for a time already past.
    static func relative(_ date: Date, from now: Date) -> String {
        let seconds = date.timeIntervalSince(now)
        return seconds <= 0 ? "now" : "in \(age(seconds))"
    }

    static func pad(_ number: Int, _ width: Int) -> String {
        let text = String(number)
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// `42s`, `7m12s`, `3h05m`, `2d4h`.
    static func age(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        switch total {
        case ..<60: return "\(total)s"
        case ..<3_600: return "\(total / 60)m\(String(format: "%02d", total % 60))s"
        case ..<86_400: return "\(total / 3_600)h\(String(format: "%02d", total % 3_600 / 60))m"
        default: return "\(total / 86_400)d\(total % 86_400 / 3_600)h"
        }
    }
}

/// JSON as HookSync prints it: sorted keys, ISO 8601 times, pretty.
enum JSONDocument {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
