public import Foundation

/// Reads and writes the timestamps providers use, by hand: ISO 8601 with a zone
/// (`2026-01-02T03:04:05.250Z`, `…+03:00`) and zone-less local times (`2026-01-02 03:04:05`).
///
/// Foundation's formatters cost tens of microseconds to build on Linux (each builds an ICU
/// formatter), and a listing of a million rows parses a million times; this is plain arithmetic on
/// the proleptic Gregorian calendar (days from civil, as in Howard Hinnant's algorithms).
/// (docs/decisions.md#timestamps-are-read-and-written-by-hand)
///
/// ```swift
/// CivilTime.parseISO8601("2026-01-02T03:04:05Z")              // 2026-01-02 03:04:05 UTC
/// CivilTime.parseLocal("2024-06-10 12:00:00", offset: { _ in 3 * 3_600 })   // 09:00 UTC
/// CivilTime.formatISO8601(date, milliseconds: true)           // "2026-01-02T03:04:05.250Z"
/// ```
public enum CivilTime {
    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|±HHMM)`; `nil` for anything else, impossible dates included.
    public static func parseISO8601(_ text: String) -> Date? {
        // In place where the string is contiguous (native strings are): a listing parses one time
        // per row, and copying each into an array showed in a resync's profile.
        var text = text
        return text.withUTF8 { parseISO8601(bytes: $0) }
    }

    private static func parseISO8601(bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        guard let (seconds, fraction, end) = parseDateTime(bytes, separators: isoSeparators), end < bytes.count else { return nil }
        var offset = 0
        switch bytes[end] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard end + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = bytes[end] == UInt8(ascii: "-") ? -1 : 1
            let rest = bytes[(end + 1)...]
            let hoursEnd = rest.startIndex + 2
            let minutes: Slice<UnsafeBufferPointer<UInt8>>
            if rest.count == 5, rest[hoursEnd] == UInt8(ascii: ":") { minutes = rest[(hoursEnd + 1)...] }
            else if rest.count == 4 { minutes = rest[hoursEnd...] }
            else { return nil }
            guard let hours = number(rest[..<hoursEnd]), let minutes = number(minutes), hours < 24, minutes < 60 else { return nil }
            offset = sign * (hours * 3_600 + minutes * 60)
        default:
            return nil
        }
        return Date(timeIntervalSince1970: TimeInterval(seconds - offset) + fraction)
    }

    private static let isoSeparators: Set<UInt8> = [UInt8(ascii: "T"), UInt8(ascii: "t")]

    /// `YYYY-MM-DD HH:MM:SS[.fraction]` (or with `T`) in a zone whose offset from UTC, in seconds,
    /// `offset` gives for an instant.
    public static func parseLocal(_ text: String, separators: Set<UInt8> = localSeparators, offset: (Date) -> Int) -> Date? {
        var text = text
        guard let (seconds, fraction, _) = text.withUTF8({ bytes in
            parseDateTime(bytes, separators: separators).flatMap { $0.2 == bytes.count ? $0 : nil }
        }) else { return nil }
        // The zone's offset at the instant itself, found in two steps so that a daylight-saving
        // change between the local reading and the instant is taken into account.
        let naive = Date(timeIntervalSince1970: TimeInterval(seconds))
        let first = offset(naive)
        let second = offset(naive.addingTimeInterval(TimeInterval(-first)))
        return Date(timeIntervalSince1970: TimeInterval(seconds - second) + fraction)
    }

    /// UTC, `Z`; whole seconds (rounded down) or milliseconds (rounded to the nearest).
    public static func formatISO8601(_ date: Date, milliseconds: Bool) -> String {
        let total = milliseconds
            ? Int64((date.timeIntervalSince1970 * 1_000).rounded())
            : Int64(date.timeIntervalSince1970.rounded(.down)) * 1_000
        var text = formatLocal(total, separator: "T")
        if milliseconds { text += "." + pad(Int(total.mod(1_000)), 3) }
        return text + "Z"
    }

    /// A space or a `T` between the date and the time.
    public static let localSeparators: Set<UInt8> = [UInt8(ascii: " "), UInt8(ascii: "T")]

    /// Whole seconds, rounded down, at `offsetSeconds` from UTC, without a zone: `2026-01-02 06:04:05`.
    public static func formatLocal(_ date: Date, offsetSeconds: Int, separator: Character) -> String {
        formatLocal((Int64(date.timeIntervalSince1970.rounded(.down)) + Int64(offsetSeconds)) * 1_000, separator: separator)
    }

    // MARK: The calendar

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date of a day count since 1970-01-01.
    public static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Seconds since 1970 of the date and time at the start of `bytes` (as if UTC), its fraction,
    /// and where it ended.
    private static func parseDateTime(_ bytes: UnsafeBufferPointer<UInt8>, separators: Set<UInt8>) -> (Int, Double, Int)? {
        guard bytes.count >= 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), separators.contains(bytes[10]),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let year = number(bytes[0..<4]), let month = number(bytes[5..<7]), let day = number(bytes[8..<10]),
              let hour = number(bytes[11..<13]), let minute = number(bytes[14..<16]), let second = number(bytes[17..<19]),
              (1...12).contains(month), day >= 1, hour < 24, minute < 60, second < 60
        else { return nil }
        let dayCount = days(year: year, month: month, day: day)
        guard civil(days: dayCount) == (year, month, day) else { return nil }  // February 30 and the like
        var end = 19, fraction = 0.0
        if end < bytes.count, bytes[end] == UInt8(ascii: ".") {
            end += 1
            let start = end
            while end < bytes.count, bytes[end] >= UInt8(ascii: "0"), bytes[end] <= UInt8(ascii: "9") { end += 1 }
            guard end > start, end - start <= 9, let digits = number(bytes[start..<end]) else { return nil }
            fraction = Double(digits) / pow(10, Double(end - start))
        }
        return (dayCount * 86_400 + hour * 3_600 + minute * 60 + second, fraction, end)
    }

    private static func formatLocal(_ milliseconds: Int64, separator: Character) -> String {
        let seconds = milliseconds.floorDivided(by: 1_000)
        let (year, month, day) = civil(days: Int(seconds.floorDivided(by: 86_400)))
        let time = Int(seconds.mod(86_400))
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + String(separator)
            + pad(time / 3_600, 2) + ":" + pad(time / 60 % 60, 2) + ":" + pad(time % 60, 2)
    }

    private static func number(_ digits: Slice<UnsafeBufferPointer<UInt8>>) -> Int? {
        var value = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    fileprivate func mod(_ divisor: Int64) -> Int64 {
        let remainder = self % divisor
        return remainder < 0 ? remainder + divisor : remainder
    }
}
