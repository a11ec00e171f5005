import Foundation

/// Zone-less `yyyy-MM-dd HH:mm:ss[.fff]` timestamps (Kladana's Moscow time, Precoro's `updateDate`),
/// read and written in a zone the caller names.
///
/// Parsed by hand rather than with a `DateFormatter`, which is costly to build per call and lenient
/// in ways that turn typos into wrong times.
///
/// ```swift
/// LocalTimestamp.parse("2024-06-10 12:00:00", in: Kladana.timeZone)   // 2024-06-10T09:00:00Z
/// LocalTimestamp.format(date, in: .gmt, separator: "T")                // "2024-06-10T09:00:00"
/// ```
enum LocalTimestamp {
    /// `nil` for anything but the format, including impossible dates such as February 30.
    static func parse(_ text: String, in zone: TimeZone, separators: Set<UInt8> = [UInt8(ascii: " "), UInt8(ascii: "T")]) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), separators.contains(bytes[10]),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else { return nil }
        var fraction = 0.0
        if bytes.count > 19 {
            guard bytes[19] == UInt8(ascii: "."), bytes.count > 20, bytes.count <= 29, let digits = number(20..<bytes.count) else { return nil }
            fraction = Double(digits) / pow(10, Double(bytes.count - 20))
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let components = DateComponents(
            calendar: calendar, timeZone: zone, year: year, month: month, day: day,
            hour: hour, minute: minute, second: second)
        guard components.isValidDate, let date = components.date else { return nil }
        return date.addingTimeInterval(fraction)
    }

    /// Whole seconds, rounded down: a listing bound written this way never skips the second it names.
    static func format(_ date: Date, in zone: TimeZone, separator: Character) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return String(format: "%04d", parts.year ?? 0) + "-" + two(parts.month) + "-" + two(parts.day)
            + String(separator) + two(parts.hour) + ":" + two(parts.minute) + ":" + two(parts.second)
    }
}
