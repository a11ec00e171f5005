import Foundation
import HookSyncCore

/// Zone-less `yyyy-MM-dd HH:mm:ss[.fff]` timestamps (Kladana's Moscow time, Precoro's `updateDate`),
/// read and written in a zone the caller names.
///
/// Parsed by hand (`CivilTime`) rather than with a `DateFormatter`, which is costly to build per call
/// and lenient in ways that turn typos into wrong times.
///
/// ```swift
/// LocalTimestamp.parse("2024-06-10 12:00:00", in: Kladana.timeZone)   // 2024-06-10T09:00:00Z
/// LocalTimestamp.format(date, in: .gmt, separator: "T")                // "2024-06-10T09:00:00"
/// ```
enum LocalTimestamp {
    /// `nil` for anything but the format, including impossible dates such as February 30.
    static func parse(_ text: String, in zone: TimeZone, separators: Set<UInt8> = [UInt8(ascii: " "), UInt8(ascii: "T")]) -> Date? {
        CivilTime.parseLocal(text, separators: separators) { zone.secondsFromGMT(for: $0) }
    }

    /// Whole seconds, rounded down: a listing bound written this way never skips the second it names.
    static func format(_ date: Date, in zone: TimeZone, separator: Character) -> String {
        CivilTime.formatLocal(date, offsetSeconds: zone.secondsFromGMT(for: date), separator: separator)
    }
}
