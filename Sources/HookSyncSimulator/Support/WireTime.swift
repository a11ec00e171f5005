import HookSyncCore

/// The timestamp spellings the simulated APIs use, as milliseconds since 1970 in UTC.
///
/// Written with calendar arithmetic rather than formatters: the simulator prints a time for every
/// entity it serves (thousands a second in the benchmark), and Foundation's formatters are costly to
/// build and lenient to parse. The date conversion is `HookSyncCore.CivilTime`'s, on the
/// proleptic Gregorian calendar.
///
/// ```swift
/// WireTime.iso(1_767_322_245_000, fraction: false)              // "2026-01-02T03:04:05Z"
/// WireTime.local(1_767_322_245_000, offsetSeconds: WireTime.moscow, separator: " ", fraction: true)
///                                                                // "2026-01-02 06:04:05.000"
/// ```
enum WireTime {
    /// Kladana's times are Moscow time: UTC+3 all year.
    static let moscow = 3 * 3_600

    struct Civil: Equatable {
        var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int
    }

    /// Rounds down to a multiple of `step`, also for times before 1970.
    static func floor(_ milliseconds: Int64, to step: Int64) -> Int64 {
        let remainder = milliseconds % step
        return remainder < 0 ? milliseconds - remainder - step : milliseconds - remainder
    }

    static func civil(_ milliseconds: Int64, offsetSeconds: Int = 0) -> Civil {
        let local = milliseconds + Int64(offsetSeconds) * 1_000
        let days = Int(local >= 0 ? local / 86_400_000 : (local - 86_399_999) / 86_400_000)
        let withinDay = Int(local - Int64(days) * 86_400_000)
        let (year, month, day) = CivilTime.civil(days: days)
        return Civil(
            year: year, month: month, day: day, hour: withinDay / 3_600_000, minute: withinDay / 60_000 % 60,
            second: withinDay / 1_000 % 60, millisecond: withinDay % 1_000)
    }

    /// `nil` for an impossible date (February 30, hour 24).
    static func milliseconds(of civil: Civil, offsetSeconds: Int = 0) -> Int64? {
        guard (1...12).contains(civil.month), (1...31).contains(civil.day), (0..<24).contains(civil.hour),
              (0..<60).contains(civil.minute), (0..<60).contains(civil.second), (0..<1_000).contains(civil.millisecond)
        else { return nil }
        let days = CivilTime.days(year: civil.year, month: civil.month, day: civil.day)
        guard CivilTime.civil(days: days) == (civil.year, civil.month, civil.day) else { return nil }
        let seconds = Int64(days) * 86_400 + Int64(civil.hour * 3_600 + civil.minute * 60 + civil.second) - Int64(offsetSeconds)
        return seconds * 1_000 + Int64(civil.millisecond)
    }

    /// `2026-01-02T03:04:05` (or with another separator), `.mmm` appended when `fraction`.
    static func local(_ milliseconds: Int64, offsetSeconds: Int, separator: Character, fraction: Bool) -> String {
        let c = civil(milliseconds, offsetSeconds: offsetSeconds)
        var text = pad(c.year, 4) + "-" + pad(c.month, 2) + "-" + pad(c.day, 2) + String(separator)
        text += pad(c.hour, 2) + ":" + pad(c.minute, 2) + ":" + pad(c.second, 2)
        if fraction { text += "." + pad(c.millisecond, 3) }
        return text
    }

    /// ISO 8601 in UTC: `2026-01-02T03:04:05Z`, or `2026-01-02T03:04:05.678Z` with `fraction`.
    static func iso(_ milliseconds: Int64, fraction: Bool) -> String {
        local(milliseconds, offsetSeconds: 0, separator: "T", fraction: fraction) + "Z"
    }

    /// `YYYY-MM-DD[T or space]HH:MM:SS[.fraction]` read in a fixed offset from UTC. Digits of the
    /// fraction beyond milliseconds are dropped.
    static func parseLocal(_ text: String, offsetSeconds: Int) -> Int64? {
        let bytes = Array(text.utf8)
        guard let (civil, length) = parseCivil(bytes), length == bytes.count else { return nil }
        return milliseconds(of: civil, offsetSeconds: offsetSeconds)
    }

    /// ISO 8601 with a zone: `…Z`, `…+03:00` or `…+0300`, with or without a fraction.
    static func parseISO(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard let (civil, length) = parseCivil(bytes), bytes.count > length else { return nil }
        let zone = Array(bytes[length...])
        var offset = 0
        if zone == [UInt8(ascii: "Z")] || zone == [UInt8(ascii: "z")] {
            offset = 0
        } else {
            guard zone.count == 6 || zone.count == 5, zone[0] == UInt8(ascii: "+") || zone[0] == UInt8(ascii: "-") else { return nil }
            let digits = zone.dropFirst().filter { $0 != UInt8(ascii: ":") }
            guard digits.count == 4, zone.count == 5 || zone[3] == UInt8(ascii: ":"),
                  let hours = number(Array(digits.prefix(2))), let minutes = number(Array(digits.suffix(2)))
            else { return nil }
            offset = (hours * 3_600 + minutes * 60) * (zone[0] == UInt8(ascii: "-") ? -1 : 1)
        }
        return milliseconds(of: civil, offsetSeconds: offset)
    }

    // MARK: - Parsing and calendar arithmetic

    /// The civil time at the start of `bytes` and how many bytes it took.
    private static func parseCivil(_ bytes: [UInt8]) -> (Civil, Int)? {
        guard bytes.count >= 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let year = number(bytes[0..<4]), let month = number(bytes[5..<7]), let day = number(bytes[8..<10]),
              let hour = number(bytes[11..<13]), let minute = number(bytes[14..<16]), let second = number(bytes[17..<19])
        else { return nil }
        var length = 19
        var millisecond = 0
        if bytes.count > 19, bytes[19] == UInt8(ascii: ".") {
            let digits = bytes[20...].prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            guard !digits.isEmpty, let value = number(Array(digits.prefix(3)) + Array(repeating: UInt8(ascii: "0"), count: max(0, 3 - digits.count)))
            else { return nil }
            millisecond = value
            length = 20 + digits.count
        }
        return (Civil(year: year, month: month, day: day, hour: hour, minute: minute, second: second, millisecond: millisecond), length)
    }

    private static func number(_ bytes: some Collection<UInt8>) -> Int? {
        var value = 0
        for byte in bytes {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return bytes.isEmpty ? nil : value
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
