import Foundation

/// The common webhook body, one flat JSON object such as Precoro's
/// `{"id": 123456, "type": 2, "action": 0, "idn": 5}`, read by scanning its bytes.
///
/// `JSONSerialization` was the largest single cost of a durable Precoro request in
/// scripts/bench-ingest (about 9% of the server's CPU under perf).
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
    private static func wholeNumber(_ scanner: inout JSONByteScanner) -> NSNumber? {
        let start = scanner.index
        guard scanner.number() else { return nil }
        let text = scanner.bytes[start..<scanner.index]
        let digits = text.drop { $0 == UInt8(ascii: "-") }
        guard digits.count <= 18, digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              !text.elementsEqual("-0".utf8), let value = Int64(String(decoding: text, as: UTF8.self))
        else { return nil }
        return NSNumber(value: value)
    }
}
