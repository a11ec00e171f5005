/// Reads JSON text byte by byte, checking RFC 8259's grammar as it goes; the shared core of the
/// fast paths (`JSONArraySlices` for listing rows, `FlatJSONObject` for webhook bodies) that spare
/// the hot paths `JSONSerialization`. Each method consumes what it read and says whether it was
/// well formed; the callers fall back to a full parser when it was not. `EntityDocument` uses it too,
/// to check and compact an entity's JSON.
///
/// Package-wide and inlinable: the listing parser calls these per byte from another module, and a
/// call per byte would cost more than the scan.
package struct JSONByteScanner {
    @usableFromInline package let bytes: [UInt8]
    @usableFromInline package var index = 0

    @inlinable package init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    @inlinable package var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    @inlinable package mutating func take(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        index += 1
        return true
    }

    @inlinable package mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    /// The contents of the string that starts here (escapes left as they are, but checked), or nil
    /// if it is not a well-formed JSON string.
    @inlinable package mutating func string() -> Range<Int>? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index += 1
                return start..<(index - 1)
            case UInt8(ascii: "\\"):
                index += 1
                switch peek {
                case UInt8(ascii: "\"")?, UInt8(ascii: "\\")?, UInt8(ascii: "/")?, UInt8(ascii: "b")?, UInt8(ascii: "f")?,
                     UInt8(ascii: "n")?, UInt8(ascii: "r")?, UInt8(ascii: "t")?:
                    index += 1
                case UInt8(ascii: "u")?:
                    guard index + 4 < bytes.count, bytes[(index + 1)...(index + 4)].allSatisfy(Self.isHexDigit) else { return nil }
                    index += 5
                default:
                    return nil
                }
            case 0..<0x20:
                return nil  // a control character must be escaped
            default:
                index += 1
            }
        }
        return nil
    }

    /// Deeper than this is refused (as `JSONDecoder` refuses it), so a hostile document cannot
    /// exhaust the stack.
    @usableFromInline package static let maxDepth = 512

    /// Skips one value, or says it is not well formed.
    @inlinable package mutating func skipValue(depth: Int = 0) -> Bool {
        guard depth < Self.maxDepth else { return false }
        switch peek {
        case UInt8(ascii: "\"")?:
            return string() != nil
        case UInt8(ascii: "{")?:
            index += 1
            skipWhitespace()
            if take(UInt8(ascii: "}")) { return true }
            while true {
                skipWhitespace()
                guard string() != nil else { return false }
                skipWhitespace()
                guard take(UInt8(ascii: ":")) else { return false }
                skipWhitespace()
                guard skipValue(depth: depth + 1) else { return false }
                skipWhitespace()
                if take(UInt8(ascii: "}")) { return true }
                guard take(UInt8(ascii: ",")) else { return false }
            }
        case UInt8(ascii: "[")?:
            index += 1
            skipWhitespace()
            if take(UInt8(ascii: "]")) { return true }
            while true {
                skipWhitespace()
                guard skipValue(depth: depth + 1) else { return false }
                skipWhitespace()
                if take(UInt8(ascii: "]")) { return true }
                guard take(UInt8(ascii: ",")) else { return false }
            }
        case UInt8(ascii: "t")?:
            return literal("true")
        case UInt8(ascii: "f")?:
            return literal("false")
        case UInt8(ascii: "n")?:
            return literal("null")
        case nil:
            return false
        default:
            return number()
        }
    }

    @inlinable package mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        let matches = word.withUTF8Buffer { bytes[index..<(index + count)].elementsEqual($0) }
        if matches { index += count }
        return matches
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`; what follows is the caller's to check.
    @inlinable package mutating func number() -> Bool {
        _ = take(UInt8(ascii: "-"))
        if !take(UInt8(ascii: "0")) {
            guard let first = peek, (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(first) else { return false }
            skipDigits()
        }
        if take(UInt8(ascii: ".")) {
            guard skipDigits() else { return false }
        }
        if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
            _ = take(UInt8(ascii: "+")) || take(UInt8(ascii: "-"))
            guard skipDigits() else { return false }
        }
        return true
    }

    @discardableResult
    @inlinable package mutating func skipDigits() -> Bool {
        let start = index
        while let byte = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
        return index > start
    }

    @inlinable package static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    /// Skips the object that starts here, noting in `found[offset...]` where the value of each of
    /// `names` lies among its top-level members (the last one wins if a name repeats). False if it is
    /// not a well-formed object, or if a member name has an escape in it, which a byte comparison
    /// cannot match.
    @inlinable package mutating func objectMembers(_ names: [[UInt8]], into found: inout [Range<Int>?], at offset: Int) -> Bool {
        guard take(UInt8(ascii: "{")) else { return false }
        skipWhitespace()
        if take(UInt8(ascii: "}")) { return true }
        while true {
            skipWhitespace()
            guard let name = string(), !bytes[name].contains(UInt8(ascii: "\\")) else { return false }
            skipWhitespace()
            guard take(UInt8(ascii: ":")) else { return false }
            skipWhitespace()
            let start = index
            guard skipValue(depth: 1) else { return false }
            if let wanted = names.firstIndex(where: { bytes[name].elementsEqual($0) }) { found[offset + wanted] = start..<index }
            skipWhitespace()
            if take(UInt8(ascii: "}")) { return true }
            guard take(UInt8(ascii: ",")) else { return false }
        }
    }

    @inlinable package mutating func arrayElements() -> [Range<Int>]? {
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

extension JSONByteScanner {
    /// `json` without the whitespace between its tokens, if it is one well-formed JSON value; the
    /// values themselves (strings, numbers) byte for byte as they were.
    package static func compacted(_ json: [UInt8]) -> [UInt8]? {
        var scanner = JSONByteScanner(bytes: json)
        scanner.skipWhitespace()
        guard scanner.skipValue() else { return nil }
        scanner.skipWhitespace()
        guard scanner.peek == nil else { return nil }
        var compact: [UInt8] = []
        compact.reserveCapacity(json.count)
        var inString = false, escaped = false
        for byte in json {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
                continue
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            }
            compact.append(byte)
        }
        return compact
    }
}
