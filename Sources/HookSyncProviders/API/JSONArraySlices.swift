import Foundation

/// Finds where each element of a top-level array (`{"data": [ {…}, {…} ]}`) lies in a JSON document,
/// so a listing row can be kept as the provider's own bytes rather than re-encoded.
///
/// Re-encoding each row with `JSONSerialization` was 60% of a million-row resync's CPU. This scans
/// once, and checks as it goes what it passes over against RFC 8259's grammar (strings and their
/// escapes, numbers, literals, nesting) and the array against UTF-8, so a row it slices is a well
/// formed JSON value. Anything it cannot vouch for gives `nil`, which sends the caller to the slow
/// path: a full parser that says what is wrong. (Checking with `JSONDecoder` instead, beside the
/// scan, was a quarter of a resync's CPU.)
///
/// ```swift
/// let found = JSONArraySlices.array("collection", in: Array(body))
/// found?.elements   // [12..<57, 58..<103]
/// found?.array      // 11..<104, the brackets included
/// ```
enum JSONArraySlices {
    struct Found: Equatable {
        /// The whole array, `[` to `]`.
        var array: Range<Int>
        var elements: [Range<Int>]
    }

    static func elements(of key: String, in json: [UInt8]) -> [Range<Int>]? {
        array(key, in: json)?.elements
    }

    static func array(_ key: String, in json: [UInt8]) -> Found? {
        var scanner = JSONByteScanner(bytes: json)
        let wanted = Array(key.utf8)
        scanner.skipWhitespace()
        guard scanner.take(UInt8(ascii: "{")) else { return nil }
        while true {
            scanner.skipWhitespace()
            guard let name = scanner.string() else { return nil }
            scanner.skipWhitespace()
            guard scanner.take(UInt8(ascii: ":")) else { return nil }
            scanner.skipWhitespace()
            if json[name].elementsEqual(wanted), scanner.peek == UInt8(ascii: "[") {
                let start = scanner.index
                guard let elements = scanner.arrayElements(),
                      String(validating: json[start..<scanner.index], as: UTF8.self) != nil else { return nil }
                return Found(array: start..<scanner.index, elements: elements)
            }
            guard scanner.skipValue() else { return nil }
            scanner.skipWhitespace()
            guard scanner.take(UInt8(ascii: ",")) else { return nil }
        }
    }

    /// Where the value of each of `names` lies among the top-level members of the object at `range`
    /// (nil for a name it lacks; the last one wins if a name repeats), or nil if it is not an object or
    /// has a member name with an escape in it, which a byte comparison cannot match.
    static func members(_ names: [[UInt8]], ofObjectAt range: Range<Int>, in json: [UInt8]) -> [Range<Int>?]? {
        var scanner = JSONByteScanner(bytes: json, index: range.lowerBound)
        var found = [Range<Int>?](repeating: nil, count: names.count)
        guard scanner.take(UInt8(ascii: "{")) else { return nil }
        scanner.skipWhitespace()
        if scanner.take(UInt8(ascii: "}")) { return found }
        while true {
            scanner.skipWhitespace()
            guard let name = scanner.string(), !json[name].contains(UInt8(ascii: "\\")) else { return nil }
            scanner.skipWhitespace()
            guard scanner.take(UInt8(ascii: ":")) else { return nil }
            scanner.skipWhitespace()
            let start = scanner.index
            guard scanner.skipValue() else { return nil }
            if let wanted = names.firstIndex(where: { json[name].elementsEqual($0) }) { found[wanted] = start..<scanner.index }
            scanner.skipWhitespace()
            if scanner.take(UInt8(ascii: "}")) { return found }
            guard scanner.take(UInt8(ascii: ",")) else { return nil }
        }
    }
}
