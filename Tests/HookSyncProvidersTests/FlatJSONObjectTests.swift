import Foundation
@testable import HookSyncProviders
import Testing

/// The fast path for flat webhook bodies must read exactly what `JSONSerialization` reads, and
/// decline everything it cannot vouch for.
@Suite struct FlatJSONObjectTests {
    /// The fast path's result with its whole numbers as the `NSNumber`s Foundation gives, so the two compare.
    func flat(_ json: String) -> NSDictionary? {
        FlatJSONObject.parse(Array(json.utf8)).map { object in
            NSDictionary(dictionary: object.mapValues { value in (value as? JSONWholeNumber).map { NSNumber(value: $0.value) } ?? value })
        }
    }

    func foundation(_ json: String) throws -> NSDictionary {
        try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? NSDictionary)
    }

    @Test(arguments: [
        #"{"id": 123456, "type": 2, "action": 0, "idn": 5}"#,
        "{\n  \"id\":123456,\r\n\t\"type\":2 ,\"action\" : 0 }\n",
        #"{"id": "PO-7", "idn": null, "n": -42, "z": 0, "big": 999999999999999999}"#,
        #"{"name": "ünïcødé 🧾 / </script>", "": ""}"#,
        "{}",
    ])
    func readsWhatFoundationReads(_ json: String) throws {
        let fast = try #require(flat(json), "this body should take the fast path")
        #expect(fast == (try foundation(json)))
    }

    @Test func numbersComeOutAsWholeNumbersThatTheParsersReadAsFoundationsNumbers() throws {
        let json = #"{"id": 123456, "n": -1, "big": -999999999999999999}"#
        let fast = try #require(FlatJSONObject.parse(Array(json.utf8)))
        let foundation = try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect((fast["id"] as? JSONWholeNumber)?.value == 123456)
        #expect((fast["big"] as? JSONWholeNumber)?.value == -999_999_999_999_999_999)
        for key in ["id", "n", "big"] {
            #expect(JSONField.identifier(fast[key]) == JSONField.identifier(foundation[key]))
            #expect(JSONField.integer(fast[key]) == JSONField.integer(foundation[key]))
            #expect(JSONField.describe(fast[key]!) == JSONField.describe(foundation[key]!))
        }
        #expect(JSONField.identifier(fast["n"]) == "-1")
    }

    @Test(arguments: [
        #"{"id": 1, "meta": {"a": 1}}"#,          // nested object
        #"{"id": [1]}"#,                           // array
        #"{"id": "a\"b"}"#,                        // escape
        #"{"id": 1.5}"#, #"{"id": 1e3}"#, #"{"id": 1E3}"#, // fraction, exponent
        #"{"id": true}"#, #"{"id": false}"#,       // booleans
        #"{"id": 01}"#, #"{"id": -0}"#, #"{"id": -}"#, // not whole numbers Foundation reads as such
        #"{"id": 1234567890123456789}"#,           // more than 18 digits
        #"{"id": 1, "id": 2}"#,                     // a repeated key
        #"{"id": 1,}"#, #"{,}"#, #"{"id" 1}"#,     // trailing comma and other bad grammar
        #"{"id": 1} x"#, #"{"id": 1}}"#, #"{"id": 1"#, // something after, or nothing to close it
        #"{"id": nul}"#, "{\"id\": \"a\u{01}b\"}", // a broken literal, a control character
        "[1, 2]", "", "  ",
    ])
    func declinesWhatItCannotVouchFor(_ json: String) {
        #expect(flat(json) == nil)
    }

    @Test func declinesInvalidUTF8() {
        #expect(FlatJSONObject.parse(Array(#"{"id": ""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8)) == nil)
    }
}
