/// JSON string literals written by hand, for the paths that build JSON text without
/// `JSONSerialization` (the queue's stored requests, entity documents).
package enum JSONStringLiteral {
    /// `text` as a JSON string literal: quotes, backslashes and control characters escaped
    /// (RFC 8259 §7), everything else (slashes, non-ASCII) as it is.
    package static func append(_ text: String, to json: inout String) {
        json += "\""
        // Header values, paths, queries and ids almost never need an escape, and appending them
        // whole is several times cheaper than scalar by scalar on ingest's hot path.
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
                let hex = String(scalar.value, radix: 16)
                json += "\\u00" + (hex.count < 2 ? "0" : "") + hex
            default: json.unicodeScalars.append(scalar)
            }
        }
        json += "\""
    }
}
