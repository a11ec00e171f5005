import Foundation
import HookSyncCore
@testable import HookSyncProviders
import Testing

/// Listing answers are read on a fast path (only ids and times decoded, the rest parsed apart) that
/// must agree with reading the whole document through `JSONSerialization`, and fall back to it for
/// whatever it cannot read.
@Suite struct ListingDocumentTests {
    let economic = ListingWire.RowFields(rowsKey: "collection", id: "customerNumber", modified: ["lastUpdated"])
    let standard = ListingWire.RowFields(rowsKey: "data", id: "id", modified: ["updated_at", "updatedAt"])

    func read(_ json: String, _ fields: ListingWire.RowFields) throws -> (fast: ListingWire.Document, whole: ListingWire.Document) {
        let response = APIResponse(status: 200, body: Data(json.utf8))
        let fast = try ListingWire.document(response, provider: "p", retryAfter: { _ in nil }, source: "s", type: "t", fields: fields, modifiedAt: ISOTimestamp.parse)
        let whole = try ListingWire.serializedDocument(response, provider: "p", source: "s", type: "t", fields: fields, modifiedAt: ISOTimestamp.parse)
        return (fast, whole)
    }

    func canonical(_ meta: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: meta, options: [.sortedKeys])
    }

    @Test func theFastPathReadsWhatTheWholeDocumentSays() throws {
        let json = #"""
            {"pagination": {"results": 3, "nextPage": "/customers?skippages=1"},
             "collection": [
               {"customerNumber": 7, "name": "Seven \"7\" ] }", "lastUpdated": "2024-03-01T10:00:00Z", "nested": {"customerNumber": 99}},
               {"name": "no time", "customerNumber": 8},
               {"customerNumber": 9, "lastUpdated": 12, "tags": [1, {"lastUpdated": "2030-01-01T00:00:00Z"}]}
             ], "after": [1, 2]}
            """#
        let (fast, whole) = try read(json, economic)
        #expect(fast.rows == whole.rows)
        #expect(fast.rows.map(\.key.id) == ["7", "8", "9"])
        #expect(fast.rows[0].remoteModifiedAt == ISOTimestamp.parse("2024-03-01T10:00:00Z"))
        // A time that is not a string, or that is only in a nested object, is no time.
        #expect(fast.rows[1].remoteModifiedAt == nil)
        #expect(fast.rows[2].remoteModifiedAt == nil)
        #expect(String(decoding: fast.rows[0].json, as: UTF8.self).hasPrefix(#"{"customerNumber": 7, "name": "Seven"#))
        #expect(try canonical(fast.meta) == canonical(whole.meta))
        #expect(fast.meta["collection"] as? [Any] != nil, "the rows array is emptied, not dropped")
    }

    /// Rows are slices of the answer's body, so they must be taken at the body's own indices: a body
    /// that is itself a slice of a larger buffer does not start at 0.
    @Test func eachRowIsItsOwnBytesWhereverTheBodyStarts() throws {
        let json = #"{"collection": [{"customerNumber": 1, "lastUpdated": "2024-03-01T10:00:00Z"}, {"customerNumber": 22}]}"#
        let buffer = Data(("garbage before" + json + "and after").utf8)
        let body = buffer.dropFirst("garbage before".utf8.count).dropLast("and after".utf8.count)
        #expect(body.startIndex != 0)
        let page = try ListingWire.document(APIResponse(status: 200, body: body), provider: "p", retryAfter: { _ in nil }, source: "s", type: "t",
                                            fields: economic, modifiedAt: ISOTimestamp.parse)
        #expect(page.rows.map { String(decoding: $0.json, as: UTF8.self) }
            == [#"{"customerNumber": 1, "lastUpdated": "2024-03-01T10:00:00Z"}"#, #"{"customerNumber": 22}"#])
        // What a sink does with them: a copy holds the same bytes from index 0.
        #expect(Array(page.rows[1].json) == Array(#"{"customerNumber": 22}"#.utf8))
    }

    @Test func stringIdsAndTheFirstTimeFieldThatIsAString() throws {
        let json = #"{"data": [{"id": "a-1", "updatedAt": "2024-03-01T10:00:00Z"}, {"updated_at": "2024-03-02T10:00:00Z", "id": "b", "updatedAt": "2020-01-01T00:00:00Z"}], "next_cursor": "c2"}"#
        let (fast, whole) = try read(json, standard)
        #expect(fast.rows == whole.rows)
        #expect(fast.rows.map(\.key.id) == ["a-1", "b"])
        #expect(fast.rows[1].remoteModifiedAt == ISOTimestamp.parse("2024-03-02T10:00:00Z"))
        #expect(fast.meta["next_cursor"] as? String == "c2")
        // An id of the other kind than expected is read all the same.
        let numbers = try read(#"{"data": [{"id": 12}]}"#, standard)
        #expect(numbers.fast.rows.map(\.key.id) == ["12"])
    }

    @Test func whatTheFastPathCannotReadGoesThroughTheWholeDocument() throws {
        // A whole number written with a fraction is an id to the webhook parsers too.
        #expect(try read(#"{"collection": [{"customerNumber": 5.0}]}"#, economic).fast.rows.map(\.key.id) == ["5"])
        // A boolean, an empty string, a missing id: the provider's fault, named.
        for row in [#"{"customerNumber": true}"#, #"{"customerNumber": ""}"#, #"{"name": "x"}"#, "7"] {
            let response = APIResponse(status: 200, body: Data(#"{"collection": [\#(row)]}"#.utf8))
            #expect(throws: ProviderAPIError.rejected("p: a listing row has no customerNumber")) {
                try ListingWire.document(response, provider: "p", retryAfter: { _ in nil }, source: "s", type: "t", fields: economic, modifiedAt: ISOTimestamp.parse)
            }
        }
        #expect(throws: ProviderAPIError.rejected("p: the listing has no row array")) {
            try ListingWire.document(APIResponse(status: 200, body: Data(#"{"rows": []}"#.utf8)), provider: "p", retryAfter: { _ in nil },
                                     source: "s", type: "t", fields: economic, modifiedAt: ISOTimestamp.parse)
        }
        // Malformed JSON is refused, not half read: neither what the row scan trips on nor what only
        // a parser notices (a misspelt literal inside a row).
        for body in [#"{"collection": [{"customerNumber": 1,}]"#, #"{"collection": [{"customerNumber": 1, "x": tru}]}"#] {
            #expect(throws: ProviderAPIError.self) {
                try ListingWire.document(APIResponse(status: 200, body: Data(body.utf8)), provider: "p",
                                         retryAfter: { _ in nil }, source: "s", type: "t", fields: economic, modifiedAt: ISOTimestamp.parse)
            }
        }
        // An id with an escape is read by the whole-document path, unescaped.
        #expect(try read(#"{"data": [{"id": "a\/b"}]}"#, standard).fast.rows.map(\.key.id) == ["a/b"])
    }
    @Test func aListingAnswered404NamesTheTypeNotAGoneEntity() {
        // To a fetch, 404 means the entity is gone; to a listing it means the type (or the URL) is wrong.
        for body in ["", #"{"message": "Not Found"}"#] {
            #expect(throws: ProviderAPIError.rejected(
                "p: HTTP 404 for the listing of custmer: the provider has no such type, or api.base_url is wrong" + (body.isEmpty ? "" : ": \(body)"))) {
                try ListingWire.document(APIResponse(status: 404, body: Data(body.utf8)), provider: "p", retryAfter: { _ in nil },
                                         source: "s", type: "custmer", fields: economic, modifiedAt: ISOTimestamp.parse)
            }
        }
        // Every other refusal keeps the shared status rules.
        #expect(throws: ProviderAPIError.rejected("p: HTTP 400: bad filter")) {
            try ListingWire.document(APIResponse(status: 400, body: Data("bad filter".utf8)), provider: "p", retryAfter: { _ in nil },
                                     source: "s", type: "t", fields: economic, modifiedAt: ISOTimestamp.parse)
        }
    }
}
