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

    /// The scan vouches for what it slices, so it must refuse whatever a JSON parser refuses; each
    /// case is checked against `JSONSerialization` too, so the two are seen to agree.
    @Test func refusesWhatIsNotWellFormedAndSlicesWhatIs() throws {
        func parses(_ json: String) -> Bool { (try? JSONSerialization.jsonObject(with: Data(json.utf8))) != nil }
        let malformed = [
            #"{"id": tru}"#, #"{"id": nul}"#, #"{"id": True}"#,
            #"{"id": 01}"#, #"{"id": 1.}"#, #"{"id": .5}"#, #"{"id": -}"#, #"{"id": 1e}"#, #"{"id": +1}"#, #"{"id": 0x1F}"#,
            #"{"id": "a\x"}"#, #"{"id": "\u12G4"}"#, "{\"id\": \"tab\there\"}",
            #"{"id" 1}"#, #"{"id": [1 2]}"#, #"{,}"#, #"{"id": 'a'}"#,
        ]
        for row in malformed {
            let json = #"{"rows": [\#(row)]}"#
            #expect(!parses(json), "JSONSerialization accepts \(row)")
            #expect(slices("rows", json) == nil, "sliced \(row)")
        }
        // Foundation's parser lets a trailing comma pass; the scan is stricter and leaves such a
        // document to the slow path, which reads it the way the webhook parsers do.
        #expect(slices("rows", #"{"rows": [{"id": 1,}]}"#) == nil)
        #expect(slices("rows", #"{"rows": [[1,]]}"#) == nil)
        var invalidUTF8 = Array(#"{"rows": [{"id": "x"}]}"#.utf8)
        invalidUTF8.insert(0xFF, at: invalidUTF8.firstIndex(of: UInt8(ascii: "x"))!)
        #expect(JSONArraySlices.elements(of: "rows", in: invalidUTF8) == nil)
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(slices("rows", #"{"rows": [\#(deep)]}"#) == nil)

        let unusual = [#"{"id": -0.5E+10}"#, #"{"id": "\u00e9\n\"\\\/"}"#, #"{"id": "é"}"#, #"{"a": {"b": [true, false, null, []]}}"#, "0", "-12e-3"]
        for row in unusual {
            let json = #"{"rows": [\#(row)]}"#
            #expect(parses(json), "JSONSerialization refuses \(row)")
            #expect(slices("rows", json) == [row])
        }
    }

    /// `objects`: the same element slices as `elements`, and in the same pass where each wanted
    /// member's value lies in each object.
    @Test func findsTheWantedMembersOfEachObjectInTheSamePass() throws {
        let json = #"""
            {"rows": [{"id": 1, "deep": {"id": "not this"}, "at": "2024-03-01T10:00:00Z"},
                      {"at": null, "x": [{"id": 3}]},
                      {"id": "b", "id": "again"} ], "n": 3}
            """#
        let bytes = Array(json.utf8)
        let names = [Array("id".utf8), Array("at".utf8)]
        let found = try #require(JSONArraySlices.objects("rows", members: names, in: bytes))
        #expect(found.elements == JSONArraySlices.elements(of: "rows", in: bytes))
        #expect(found.array == JSONArraySlices.array("rows", in: bytes)?.array)
        let members = found.members.map { $0.map { String(decoding: bytes[$0], as: UTF8.self) } }
        // Top-level members only, nil where absent, the last of a repeated name.
        #expect(members == ["1", #""2024-03-01T10:00:00Z""#, nil, "null", #""again""#, nil])

        #expect(JSONArraySlices.objects("rows", members: names, in: Array(#"{"rows": []}"#.utf8)) == .init(array: 9..<11, elements: [], members: []))
    }

    /// Anything `objects` cannot vouch for sends the caller to the slow path: an element that is not an
    /// object, a member name with an escape in it, and whatever `elements` refuses.
    @Test func objectsRefusesWhatItCannotReadPlainly() {
        let names = [Array("id".utf8)]
        for json in [
            #"{"rows": [{"id": 1}, 7]}"#, #"{"rows": [{"i\u0064": 1}]}"#, #"{"rows": [{"id": 1,}]}"#,
            #"{"rows": [{"id": tru}]}"#, #"{"rows": {"id": 1}}"#, #"{"other": [{"id": 1}]}"#, #"{"rows": [{"id": 1}"#,
        ] {
            #expect(JSONArraySlices.objects("rows", members: names, in: Array(json.utf8)) == nil, "read \(json)")
        }
    }
}
