import Foundation
import HookSyncCore

/// JSON text for the two shapes the queue stores: a raw request and a string map.
///
/// Written by hand because `JSONEncoder` was the largest single cost of a webhook request in
/// scripts/bench-ingest (about 9% of the server's CPU). Reading stays with `JSONDecoder`: it is off
/// the hot path, and the output here is plain JSON that it decodes (`Data` as base64, its default).
enum JSONText {
    static func encode(_ raw: RawRequest) -> String {
        var json = ""
        // Room for the whole text up front (base64 is 4/3 of the body, plus the escapes a few
        // strings may need), rather than regrowing the string a dozen times per request.
        json.reserveCapacity(64 + raw.body.count * 4 / 3 + raw.path.utf8.count + raw.query.utf8.count
            + raw.headers.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count + 6 })
        json += #"{"body":""# + raw.body.base64EncodedString() + #"","headers":"#
        appendObject(raw.headers, to: &json)
        json += #","method":"#
        appendString(raw.method, to: &json)
        json += #","path":"#
        appendString(raw.path, to: &json)
        json += #","query":"#
        appendString(raw.query, to: &json)
        json += "}"
        return json
    }

    static func encode(_ map: [String: String]) -> String {
        var json = ""
        appendObject(map, to: &json)
        return json
    }

    static func appendObject(_ map: [String: String], to json: inout String) {
        json += "{"
        for (index, key) in map.keys.sorted().enumerated() {
            if index > 0 { json += "," }
            appendString(key, to: &json)
            json += ":"
            appendString(map[key]!, to: &json)
        }
        json += "}"
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped (RFC 8259 §7).
    static func appendString(_ text: String, to json: inout String) {
        json += "\""
        // Header values, paths and queries almost never need an escape, and appending them whole
        // is several times cheaper than scalar by scalar on ingest's hot path.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            json += text
            json += "\""
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": json += "\\\""
            case "\\": json += "\\\\"
            case "\n": json += "\\n"
            case "\r": json += "\\r"
            case "\t": json += "\\t"
            case _ where scalar.value < 0x20:
                json += "\\u00" + String(scalar.value, radix: 16).leftPadded(to: 2)
            default: json.unicodeScalars.append(scalar)
            }
        }
        json += "\""
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
