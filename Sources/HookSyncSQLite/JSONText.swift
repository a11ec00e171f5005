import Foundation
import HookSyncCore

/// JSON text for the two shapes the queue stores: a raw request and a string map.
///
/// Written by hand because `JSONEncoder` was the largest single cost of a webhook request
/// (docs/decisions.md#hand-written-json-on-the-ingest-path). Reading stays with `JSONDecoder`: it is off
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
        JSONStringLiteral.append(raw.method, to: &json)
        json += #","path":"#
        JSONStringLiteral.append(raw.path, to: &json)
        json += #","query":"#
        JSONStringLiteral.append(raw.query, to: &json)
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
            JSONStringLiteral.append(key, to: &json)
            json += ":"
            JSONStringLiteral.append(map[key]!, to: &json)
        }
        json += "}"
    }
}
