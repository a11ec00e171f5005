import Foundation

/// Durations as people write them in configuration and on the command line: `50ms`, `2s`, `10m`, `2h`, `7d`.
public enum HumanDuration {
    /// Parses `<whole number><unit>`, unit one of `ms`, `s`, `m`, `h`, `d`. `nil` for anything else.
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let value = Int64(digits) else { return nil }
        switch trimmed.dropFirst(digits.count) {
        case "ms": return .milliseconds(value)
        case "s": return .seconds(value)
        case "m": return .seconds(value * 60)
        case "h": return .seconds(value * 3_600)
        case "d": return .seconds(value * 86_400)
        default: return nil
        }
    }

    /// The shortest exact spelling of a duration, e.g. `2h`, `90s`, `250ms`.
    public static func format(_ duration: Duration) -> String {
        let milliseconds = Int64((duration.timeInterval * 1000).rounded())
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        where milliseconds != 0 && milliseconds % size == 0 {
            return "\(milliseconds / size)\(unit)"
        }
        return "\(milliseconds)ms"
    }
}
