import Foundation
import HookSyncCore

/// The common webhook body, one flat JSON object such as Precoro's
/// `{"id": 123456, "type": 2, "action": 0, "idn": 5}`, read by scanning its bytes.
///
/// `JSONSerialization` was the largest single cost of a durable Precoro request
/// (docs/decisions.md#flat-webhook-bodies-are-scanned-not-parsed-by-jsonserialization).
/// This reads only what it can vouch for: members whose values are strings without escapes, whole
/// numbers of up to 18 digits, or `null`, each key once. Anything else (nesting, escapes, fractions,
/// booleans, a trailing comma, invalid UTF-8) gives `nil`, and the caller parses the body with
/// `JSONSerialization`, which also says what is wrong. Its values are `String`, `JSONWholeNumber` and
/// `NSNull`: `JSONSerialization` would give an `NSNumber` for the number, but boxing one, and later
/// casting an `Any` to it, were most of what reading a Precoro body cost. `JSONField` reads both alike.
///
/// ```swift
/// FlatJSONObject.parse(Array(#"{"id": 7, "idn": "PO-7"}"#.utf8))   // ["id": 7, "idn": "PO-7"]
/// FlatJSONObject.parse(Array(#"{"id": 7, "meta": {}}"#.utf8))      // nil: nested
/// ```
enum FlatJSONObject {
    static func parse(_ body: some Collection<UInt8>) -> [String: Any]? {
        var scanner = JSONByteScanner(bytes: Array(body))
        var members: [String: Any] = [:]
        scanner.skipWhitespace()
        guard scanner.take(UInt8(ascii: "{")) else { return nil }
        scanner.skipWhitespace()
        if !scanner.take(UInt8(ascii: "}")) {
            repeat {
                scanner.skipWhitespace()
                guard let key = plainString(&scanner) else { return nil }
                scanner.skipWhitespace()
                guard scanner.take(UInt8(ascii: ":")) else { return nil }
                scanner.skipWhitespace()
                guard let value = scalar(&scanner), members.updateValue(value, forKey: key) == nil else { return nil }
                scanner.skipWhitespace()
            } while scanner.take(UInt8(ascii: ","))
            guard scanner.take(UInt8(ascii: "}")) else { return nil }
        }
        scanner.skipWhitespace()
        return scanner.peek == nil ? members : nil
    }

    private static func scalar(_ scanner: inout JSONByteScanner) -> Any? {
        switch scanner.peek {
        case UInt8(ascii: "\"")?: plainString(&scanner)
        case UInt8(ascii: "n")?: scanner.literal("null") ? NSNull() : nil
        default: wholeNumber(&scanner)
        }
    }

    /// A well-formed string without escapes, as valid UTF-8.
    private static func plainString(_ scanner: inout JSONByteScanner) -> String? {
        guard let range = scanner.string(), !scanner.bytes[range].contains(UInt8(ascii: "\\")) else { return nil }
        return String(validating: scanner.bytes[range], as: UTF8.self)
    }

    /// A number without fraction or exponent, of 18 digits at most so it fits an `Int64` exactly, as
    /// Foundation keeps it. (`-0` Foundation reads as a double: left to it.)
    private static func wholeNumber(_ scanner: inout JSONByteScanner) -> JSONWholeNumber? {
        let start = scanner.index
        guard scanner.number() else { return nil }
        let text = scanner.bytes[start..<scanner.index]
        let negative = text.first == UInt8(ascii: "-")
        let digits = negative ? text.dropFirst() : text[...]
        guard !digits.isEmpty, digits.count <= 18, !(negative && digits.elementsEqual("0".utf8)) else { return nil }
        var magnitude: Int64 = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            magnitude = magnitude * 10 + Int64(digit - UInt8(ascii: "0"))
        }
        return JSONWholeNumber(value: negative ? -magnitude : magnitude)
    }
}

/// A JSON number without fraction, as `FlatJSONObject` reads it. Not a bare `Int64`: on Linux a
/// boolean `NSNumber` from `JSONSerialization` casts to `Int64` (`true` as 1), and `JSONField` must
/// tell a number it can trust from one it has to check for being a boolean.
struct JSONWholeNumber: Sendable, Hashable {
    var value: Int64
}
