import Foundation
import HookSyncCore
import Testing

@Suite("Entity documents")
struct EntityDocumentTests {
    static let key = EntityKey(source: "economic", type: "customer", id: "42")
    static let modified = Date(timeIntervalSince1970: 1_700_000_001.5)
    static let synced = Date(timeIntervalSince1970: 1_764_806_400)

    /// A pretty-printed body, as some providers send one, with what a parse and re-serialization
    /// would change: an amount beyond a Double's precision, a trailing zero, an escaped slash, a
    /// `\u` escape, keys out of order, and whitespace inside a string that must stay.
    static let providerJSON = #"""
        {
          "name" : "Acme  \"Nordic\" A/S",
          "balance": 12345678901234567.10,
          "self": "https:\/\/restapi.e-conomic.com\/customers\/42",
          "note": "caf\u00e9 ünïcode",
          "contacts": [ { "b": 1, "a": [true, false, null] }, 2.50e3 ]
        }
        """#

    @Test func aLineKeepsTheProvidersJSONByteForByteExceptTheWhitespaceBetweenTokens() throws {
        let document = EntityDocument(key: Self.key, deleted: false, remoteModifiedAt: Self.modified, syncedAt: Self.synced,
                                      data: Data(Self.providerJSON.utf8), actions: ActionHistory(merging: [ActionHistory(.create), ActionHistory(.update)]))
        let line = document.jsonLine()
        #expect(line == #"{"actions":["create","update"],"data":{"name":"Acme  \"Nordic\" A/S","balance":12345678901234567.10,"#
            + #""self":"https:\/\/restapi.e-conomic.com\/customers\/42","note":"caf\u00e9 ünïcode","contacts":[{"b":1,"a":[true,false,null]},2.50e3]},"#
            + #""deleted":false,"id":"42","remote_modified_at":"2023-11-14T22:13:21.500Z","source":"economic","#
            + #""synced_at":"2025-12-04T00:00:00.000Z","type":"customer"}"#)
        let parsed = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect((parsed["data"] as? [String: Any])?["note"] as? String == "café ünïcode")
    }

    @Test func textIsEscapedSoTheLineStaysOneLineOfJSON() throws {
        let key = EntityKey(source: "s", type: "t\"y", id: "a\nb\u{01}\\c/d")
        let line = EntityDocument(key: key, deleted: false, remoteModifiedAt: nil, syncedAt: nil, data: Data("[1]".utf8)).jsonLine()
        #expect(!line.contains("\n"))
        #expect(line == #"{"data":[1],"deleted":false,"id":"a\nb\u0001\\c/d","remote_modified_at":null,"source":"s","type":"t\"y"}"#)
        let parsed = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(parsed["id"] as? String == key.id && parsed["type"] as? String == key.type)
    }

    @Test func aDeletedEntityHasNullDataAndStoredDataThatIsNotJSONIsShownAsNull() {
        let deleted = EntityDocument(key: Self.key, deleted: true, remoteModifiedAt: nil, syncedAt: Self.synced, data: nil)
        #expect(deleted.jsonLine() == #"{"data":null,"deleted":true,"id":"42","remote_modified_at":null,"source":"economic","synced_at":"2025-12-04T00:00:00.000Z","type":"customer"}"#)
        for broken in [#"{"a" 1}"#, #"{"a": 1} x"#, #"{"a": "unterminated}"#, "", "{\"a\": \"\u{01}\"}"] {
            let line = EntityDocument(key: Self.key, deleted: false, remoteModifiedAt: nil, syncedAt: nil, data: Data(broken.utf8)).jsonLine()
            #expect(line.hasPrefix(#"{"data":null,"#), "\(broken)")
        }
    }
}

@Suite("JSON compaction")
struct JSONCompactionTests {
    @Test func whitespaceGoesOnlyBetweenTokens() {
        let compact = { (text: String) in JSONByteScanner.compacted(Array(text.utf8)).map { String(decoding: $0, as: UTF8.self) } }
        #expect(compact(" { \"a b\" : [ 1 , \"x\\\" y\" ] }\n") == #"{"a b":[1,"x\" y"]}"#)
        #expect(compact("\"ends with a backslash\\\\\"  ") == #""ends with a backslash\\""#)
        #expect(compact("-0.5e-3") == "-0.5e-3")
        #expect(compact("[1 2]") == nil)
        #expect(compact("{} {}") == nil)
        #expect(compact("   ") == nil)
    }
}
