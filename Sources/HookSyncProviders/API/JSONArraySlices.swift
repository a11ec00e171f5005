import Foundation

/// Finds where each element of a top-level array (`{"data": [ {…}, {…} ]}`) lies in a JSON document,
/// so a listing row can be kept as the provider's own bytes rather than re-encoded.
///
/// Re-encoding each row with `JSONSerialization` was 60% of a million-row resync's CPU. This only
/// scans: it trusts a parser that reads the same bytes to find them well formed, and any doubt
/// (`nil`) sends the caller back to the slow path.
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
        var scanner = Scanner(bytes: json)
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
                guard let elements = scanner.arrayElements() else { return nil }
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
        var scanner = Scanner(bytes: json, index: range.lowerBound)
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

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func take(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            index += 1
            return true
        }

        mutating func skipWhitespace() {
            while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
        }

        /// The contents of the string that starts here (escapes left as they are).
        mutating func string() -> Range<Int>? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\\"): index += 2
                case UInt8(ascii: "\""):
                    index += 1
                    return start..<(index - 1)
                default: index += 1
                }
            }
            return nil
        }

        mutating func skipValue() -> Bool {
            switch peek {
            case UInt8(ascii: "\"")?:
                return string() != nil
            case UInt8(ascii: "{")?, UInt8(ascii: "[")?:
                var depth = 0
                while let byte = peek {
                    switch byte {
                    case UInt8(ascii: "\""):
                        guard string() != nil else { return false }
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 {
                            index += 1
                            return true
                        }
                    default: break
                    }
                    index += 1
                }
                return false
            case nil:
                return false
            default:
                // A number, true, false or null: up to the next delimiter.
                let start = index
                while let byte = peek, byte != UInt8(ascii: ","), byte != UInt8(ascii: "}"), byte != UInt8(ascii: "]"),
                      byte != 0x20, byte != 0x0A, byte != 0x0D, byte != 0x09 { index += 1 }
                return index > start
            }
        }

        mutating func arrayElements() -> [Range<Int>]? {
            guard take(UInt8(ascii: "[")) else { return nil }
            var ranges: [Range<Int>] = []
            skipWhitespace()
            if take(UInt8(ascii: "]")) { return ranges }
            while true {
                skipWhitespace()
                let start = index
                guard skipValue() else { return nil }
                ranges.append(start..<index)
                skipWhitespace()
                if take(UInt8(ascii: "]")) { return ranges }
                guard take(UInt8(ascii: ",")) else { return nil }
            }
        }
    }
}
