import Foundation
import HookSyncCore

/// Finds where each element of a top-level array (`{"data": [ {…}, {…} ]}`) lies in a JSON document,
/// so a listing row can be kept as the provider's own bytes rather than re-encoded.
///
/// Re-encoding each row with `JSONSerialization` was most of a resync's CPU
/// (docs/decisions.md#listed-rows-keep-the-providers-bytes). This scans
/// once, and checks as it goes what it passes over against RFC 8259's grammar (strings and their
/// escapes, numbers, literals, nesting) and the array against UTF-8, so a row it slices is a well
/// formed JSON value. Anything it cannot vouch for gives `nil`, which sends the caller to the slow
/// path: a full parser that says what is wrong. (Checking with `JSONDecoder` instead, beside the
/// scan, cost more than the scan: docs/decisions.md#the-row-scan-checks-the-json-itself.)
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
        guard var scanner = scanner(atArray: key, in: json) else { return nil }
        let start = scanner.index
        guard let elements = scanner.arrayElements(), isUTF8(json[start..<scanner.index]) else { return nil }
        return Found(array: start..<scanner.index, elements: elements)
    }

    /// An array of objects, and where in each the values of the wanted members lie.
    struct FoundObjects: Equatable {
        /// The whole array, `[` to `]`.
        var array: Range<Int>
        var elements: [Range<Int>]
        /// `names.count` entries per element, in the order of `names`: where that member's value lies
        /// (nil for a member the object lacks; the last one wins if a name repeats).
        var members: [Range<Int>?]
    }

    /// `array`, when every element is an object, finding the values of `names` among each one's
    /// top-level members in the same pass; nil as well if a member name has an escape in it, which a
    /// byte comparison cannot match.
    ///
    /// One pass rather than `array` and then each object again: the scan is on a resync's listing
    /// side, which is its critical path (each page's request waits for the last)
    /// (docs/decisions.md#one-scan-finds-each-row-and-its-id-and-time).
    static func objects(_ key: String, members names: [[UInt8]], in json: [UInt8]) -> FoundObjects? {
        guard var scanner = scanner(atArray: key, in: json) else { return nil }
        let start = scanner.index
        var found = FoundObjects(array: start..<start, elements: [], members: [])
        guard scanner.take(UInt8(ascii: "[")) else { return nil }
        scanner.skipWhitespace()
        if !scanner.take(UInt8(ascii: "]")) {
            while true {
                scanner.skipWhitespace()
                let element = scanner.index
                found.members.append(contentsOf: repeatElement(nil, count: names.count))
                guard scanner.objectMembers(names, into: &found.members, at: found.members.count - names.count) else { return nil }
                found.elements.append(element..<scanner.index)
                scanner.skipWhitespace()
                if scanner.take(UInt8(ascii: "]")) { break }
                guard scanner.take(UInt8(ascii: ",")) else { return nil }
            }
        }
        guard isUTF8(json[start..<scanner.index]) else { return nil }
        found.array = start..<scanner.index
        return found
    }

    /// A scanner at the `[` of the array under `key` in the top-level object, or nil if there is none
    /// or what comes before it is not well formed.
    private static func scanner(atArray key: String, in json: [UInt8]) -> JSONByteScanner? {
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
            if json[name].elementsEqual(wanted), scanner.peek == UInt8(ascii: "[") { return scanner }
            guard scanner.skipValue() else { return nil }
            scanner.skipWhitespace()
            guard scanner.take(UInt8(ascii: ",")) else { return nil }
        }
    }

    private static func isUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
        String(validating: bytes, as: UTF8.self) != nil
    }
}
