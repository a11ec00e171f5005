import Foundation
import HookSyncCore
@testable import HookSyncSQLite
import Testing

@Suite("JSON written by hand")
struct JSONTextTests {
    static let awkward = "quote \" backslash \\ newline \n tab \t bell \u{07} null \u{00} emoji 🧾 ünïcødé / </script>"

    @Test func rawRequestsRoundTripThroughJSONDecoder() throws {
        let raw = RawRequest(
            method: "POST", path: "/hooks/\(Self.awkward)", query: "a=\(Self.awkward)&b=2",
            headers: ["x-\(Self.awkward)": Self.awkward, "content-type": "application/json"],
            body: Data((0...255).map(UInt8.init)))
        let decoded = try JSONDecoder().decode(RawRequest.self, from: Data(JSONText.encode(raw).utf8))
        #expect(decoded == raw)
    }

    @Test func mapsRoundTripAndAreOrdered() throws {
        let map = ["b": Self.awkward, "a": "1", Self.awkward: ""]
        let text = JSONText.encode(map)
        #expect(try JSONDecoder().decode([String: String].self, from: Data(text.utf8)) == map)
        #expect(text.hasPrefix(#"{"a":"1","b":"#))
        #expect(JSONText.encode([String: String]()) == "{}")
    }
}

extension JSONTextTests {
    @Test func stringsWithoutEscapesAreWrittenAsTheyAre() {
        #expect(JSONText.encode(["content-type": "application/json; charset=utf-8", "path": "/hooks/ünï 🧾"])
            == #"{"content-type":"application/json; charset=utf-8","path":"/hooks/ünï 🧾"}"#)
    }
}
