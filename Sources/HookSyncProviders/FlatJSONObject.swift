import Foundation

/// The common webhook body, one flat JSON object such as Precoro's
/// `{"id": 123456, "type": 2, "action": 0, "idn": 5}`, read by scanning its bytes.
///
/// `JSONSerialization` was the largest single cost of a durable Precoro request in
/// scripts/bench-ingest (about 9% of the server's CPU), most of it for bridging to Foundation types.
/// This reads only what it can vouch for: members whose values are strings without escapes, whole
/// numbers of up to 18 digits, or `null`, each key once. Anything else (nesting, escapes, fractions,
/// booleans, a trailing comma, invalid UTF-8) gives `nil`, and the caller parses the body with
/// `JSONSerialization`, which also says what is wrong. What it returns holds the same values that
/// `JSONSerialization` would (`String`, `NSNumber`, `NSNull`), so every parser reads both alike.
///
/// ```swift
/// FlatJSONObject.parse(Array(#"{"id": 7, "idn": "PO-7"}"#.utf8))   // ["id": 7, "idn": "PO-7"]
/// FlatJSONObject.parse(Array(#"{"id": 7, "meta": {}}"#.utf8))      // nil: nested
/// ```
enum FlatJSONObject {
    static func parse(_ bytes: some Collection<UInt8>) -> [String: Any]? {
        var scanner = Scanner(bytes: Array(bytes))
        return scanner.object()
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        mutating func object() -> [String: Any]? {
            skipWhitespace()
            guard take(UInt8(ascii: "{")) else { return nil }
            var members: [String: Any] = [:]
            skipWhitespace()
            if !take(UInt8(ascii: "}")) {
                repeat {
                    skipWhitespace()
                    guard let key = string() else { return nil }
                    skipWhitespace()
                    guard take(UInt8(ascii: ":")) else { return nil }
                    skipWhitespace()
                    guard let value = scalar(), members.updateValue(value, forKey: key) == nil else { return nil }
                    skipWhitespace()
                } while take(UInt8(ascii: ","))
                guard take(UInt8(ascii: "}")) else { return nil }
            }
            skipWhitespace()
            return index == bytes.count ? members : nil
        }

        private mutating func scalar() -> Any? {
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "n"):
                guard bytes[index...].starts(with: "null".utf8) else { return nil }
                index += 4
                return NSNull()
            default: return wholeNumber()
            }
        }

        /// A string with no escape and no control character, as valid UTF-8.
        private mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                if bytes[index] == UInt8(ascii: "\\") || bytes[index] < 0x20 { return nil }
                index += 1
            }
            guard index < bytes.count else { return nil }
            defer { index += 1 }
            return String(validating: bytes[start..<index], as: UTF8.self)
        }

        /// `-?(0|[1-9][0-9]*)`, ending where no fraction or exponent follows; 18 digits at most so it
        /// fits an `Int64` exactly, as Foundation keeps it.
        private mutating func wholeNumber() -> NSNumber? {
            let negative = take(UInt8(ascii: "-"))
            let start = index
            var value: Int64 = 0
            while index < bytes.count, let digit = Self.digit(bytes[index]) {
                value = value * 10 + Int64(digit)
                index += 1
            }
            let digits = index - start
            guard digits >= 1, digits <= 18, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
            if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) { return nil }
            // Foundation reads `-0` as a double; leave it to Foundation.
            if negative, value == 0 { return nil }
            return NSNumber(value: negative ? -value : value)
        }

        private static func digit(_ byte: UInt8) -> UInt8? {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? byte - UInt8(ascii: "0") : nil
        }

        private mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        private mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        }
    }
}
