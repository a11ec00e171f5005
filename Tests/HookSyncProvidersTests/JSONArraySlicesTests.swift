import Foundation
@testable import HookSyncProviders
import Testing

/// Listing rows kept as the provider's bytes: the slices must be exactly the array's elements.
@Suite struct JSONArraySlicesTests {
    func slices(_ key: String, _ json: String) -> [String]? {
        let bytes = Array(json.utf8)
        return JSONArraySlices.elements(of: key, in: bytes)?.map { String(decoding: bytes[$0], as: UTF8.self) }
    }

    @Test func findsEachElementOfTheNamedTopLevelArray() throws {
        let json = #"""
            {"meta": {"size": 3, "rows": ["not", "these"]}, "note": "a \"quoted\" ] and } inside",
             "rows" : [ {"id": "a", "tags": ["x", {"y": [1, 2]}]} ,{"id":"b\\","n":-1.5e3,"ok":true,"z":null}, 7, "s", [] ],
             "after": 1}
            """#
        let found = try #require(slices("rows", json))
        #expect(found == [#"{"id": "a", "tags": ["x", {"y": [1, 2]}]}"#, #"{"id":"b\\","n":-1.5e3,"ok":true,"z":null}"#, "7", #""s""#, "[]"])
        // Each slice parses to what the whole document's parse holds at that index.
        let whole = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let elements = try #require(whole["rows"] as? [Any])
        for (slice, element) in zip(found, elements) {
            let parsed = try JSONSerialization.jsonObject(with: Data(slice.utf8), options: .fragmentsAllowed)
            let canonical = { (value: Any) in try JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys]) }
            #expect(try canonical(parsed) == canonical(element))
        }
    }

    @Test func saysNothingWhenTheArrayIsAbsentEmptyOrTheDocumentIsNotAnObject() {
        #expect(slices("data", #"{"collection": []}"#) == nil)
        #expect(slices("data", #"{"data": []}"#) == [])
        #expect(slices("data", #"{"data": {"not": "an array"}}"#) == nil)
        #expect(slices("data", #"[{"data": []}]"#) == nil)
        #expect(slices("data", #"{"data": [1, 2"#) == nil)
    }
}
