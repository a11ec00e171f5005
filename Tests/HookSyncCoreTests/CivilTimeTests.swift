import Foundation
import HookSyncCore
import Testing

/// The hand-written timestamp reader and writer, checked against Foundation's formatters as the oracle.
@Suite("Timestamps by hand")
struct CivilTimeTests {
    /// Instants from 1901 to 2099, some with milliseconds, leap days and year ends among them.
    static let instants: [Date] = {
        var generator = SeededGenerator(seed: 3)
        var dates = (0..<2_000).map { _ in
            Date(timeIntervalSince1970: TimeInterval(Int64(generator.next() % 6_200_000_000) - 2_150_000_000) + Double(generator.next() % 1_000) / 1_000)
        }
        dates += ["2024-02-29T23:59:59Z", "2000-02-29T00:00:00Z", "1999-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59Z"]
            .map { ISO8601DateFormatter().date(from: $0)! }
        return dates
    }()

    @Test func writesWhatFoundationWrites() {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for date in Self.instants {
            let second = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
            #expect(CivilTime.formatISO8601(date, milliseconds: false) == plain.string(from: second))
            let millisecond = Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1_000).rounded() / 1_000)
            #expect(CivilTime.formatISO8601(millisecond, milliseconds: true) == fractional.string(from: millisecond))
        }
    }

    @Test func readsWhatItWritesAndWhatFoundationReads() {
        for date in Self.instants {
            let text = CivilTime.formatISO8601(date, milliseconds: true)
            let parsed = CivilTime.parseISO8601(text)
            #expect(parsed.map { abs($0.timeIntervalSince(date)) < 0.000_6 } == true, "\(text)")
        }
        #expect(CivilTime.parseISO8601("2026-01-02T03:04:05+03:00") == CivilTime.parseISO8601("2026-01-02T00:04:05Z"))
        #expect(CivilTime.parseISO8601("2026-01-02T03:04:05.5-0130") == CivilTime.parseISO8601("2026-01-02T04:34:05.500Z"))
    }

    @Test(arguments: ["2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01 00:00:00Z",
                      "2026-01-01T00:00:00", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00Zjunk", "26-01-01T00:00:00Z", ""])
    func refusesWhatIsNotATimestamp(_ text: String) {
        #expect(CivilTime.parseISO8601(text) == nil)
    }

    @Test func readsAndWritesLocalTimesAtAnOffset() {
        let moscow = { (_: Date) in 3 * 3_600 }
        let instant = CivilTime.parseLocal("2024-06-10 12:00:00.250", offset: moscow)
        #expect(instant == CivilTime.parseISO8601("2024-06-10T09:00:00.250Z"))
        #expect(CivilTime.formatLocal(instant!, offsetSeconds: 3 * 3_600, separator: " ") == "2024-06-10 12:00:00")
        #expect(CivilTime.parseLocal("2024-06-10T12:00:00", separators: [UInt8(ascii: " ")], offset: moscow) == nil)
    }
}
