import Foundation
@testable import HookSyncProviders
import Testing

/// The fast path for flat webhook bodies must read exactly what `JSONSerialization` reads, and
/// decline everything it cannot vouch for.
@Suite struct FlatJSONObjectTests {
    func flat(_ json: String) -> NSDictionary? {
        FlatJSONObject.parse(Array(json.utf8)).map { NSDictionary(dictionary: $0) }
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

    @Test func numbersComeOutAsFoundationsIntegers() throws {
        let fast = try #require(FlatJSONObject.parse(Array(#"{"id": 123456, "n": -1}"#.utf8)))
        #expect((fast["id"] as? NSNumber)?.stringValue == "123456")
        #expect((fast["n"] as? NSNumber)?.intValue == -1)
        #expect(String(cString: (fast["id"] as! NSNumber).objCType) != "c", "not a boolean")
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
