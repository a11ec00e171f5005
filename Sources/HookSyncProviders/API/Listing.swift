public import Foundation
public import HookSyncCore

/// One request for a page of a provider's "modified since" listing.
///
/// Reconciliation pages by keyset (cursor-paged APIs aside, which send `cursor` instead): each pass
/// asks for rows modified at or after `since`, sorted by modification time, and moves `since` forward
/// to the last row it saw, so rows that change while it reads shift nothing it has still to read.
/// `page` only advances within one timestamp, when more rows share it than fit a page.
public struct ListingQuery: Sendable, Hashable {
    public var type: String
    /// Inclusive lower bound; `nil` lists everything (a full resync).
    public var since: Date?
    /// 0-based page at this `since`.
    public var page: Int
    public var pageSize: Int
    /// For cursor-paged APIs (Standard Webhooks senders): where the previous page ended.
    public var cursor: String?

    public init(type: String, since: Date?, page: Int = 0, pageSize: Int, cursor: String? = nil) {
        self.type = type
        self.since = since
        self.page = page
        self.pageSize = pageSize
        self.cursor = cursor
    }
}

/// One page of a listing, rows in (modification time, id) order.
public struct ListingPage: Sendable, Hashable {
    public var rows: [ListedEntity]
    public var hasMore: Bool
    /// Cursor-paged APIs: what to send for the next page.
    public var nextCursor: String?
    /// Rows matching the query in all, when the provider says (for progress and ETA).
    public var total: Int?

    public init(rows: [ListedEntity], hasMore: Bool, nextCursor: String? = nil, total: Int? = nil) {
        self.rows = rows
        self.hasMore = hasMore
        self.nextCursor = nextCursor
        self.total = total
    }
}

/// How a provider's listing is paged: by page number/offset at a `since`, or by an opaque cursor.
public enum ListingPaging: Sendable, Hashable {
    case offset(maxPageSize: Int)
    case cursor
}

/// Listing wire helpers shared by the provider clients.
enum ListingWire {
    /// `base` plus a query string, each value percent-encoded as RFC 3986 wants.
    static func url(_ base: String, _ items: [(String, String?)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let query = items.compactMap { name, value in
            value.map { "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0)" }
        }.joined(separator: "&")
        return query.isEmpty ? base : "\(base)?\(query)"
    }

    /// A listing answer, read: its rows, each keeping the bytes the provider sent for it (as an entity
    /// fetch keeps its body), and the rest of the document (paging, totals) without the row array.
    struct Document {
        var rows: [ListedEntity]
        var meta: [String: Any]
    }

    /// Where a provider's listing rows keep what reconciliation needs of them.
    struct RowFields {
        /// The array of rows in the answer's top-level object.
        var rowsKey: String
        var id: String
        /// The modification time: the first of these that holds a string.
        var modified: [String]
    }

    /// Reads a listing answer, or throws what its status or shape says. A row without an id is a
    /// provider fault worth stopping for.
    ///
    /// The fast path slices the row array out of the bytes, checking it is well formed as it goes
    /// (`JSONArraySlices`), finds each row's id and time in its slice, and parses the rest of the
    /// document apart: a page of 1,000 rows through `JSONSerialization`, or through a keyed
    /// `JSONDecoder` container per row, cost more than writing it to the mirror
    /// (docs/decisions.md#the-row-scan-checks-the-json-itself). Whatever that scan
    /// cannot read as plainly as the webhook parsers would (an escape, a number that is not a plain
    /// integer, a missing id, a trailing comma) sends the whole document through `JSONSerialization`,
    /// which reads it as they do and says what is wrong.
    static func document(
        _ response: APIResponse, provider: String, retryAfter: (APIResponse) -> Duration?, source: String, type: String,
        fields: RowFields, modifiedAt: (String) -> Date?
    ) throws -> Document {
        // A listing's 404 is not a missing entity (as a fetch's is) but a missing listing: a type the
        // provider does not have under that name, or a base URL that points elsewhere.
        if response.status == 404 {
            throw ProviderAPIError.rejected(
                "\(provider): HTTP 404 for the listing of \(type): the provider has no such type, or api.base_url is wrong"
                    + (response.body.isEmpty ? "" : ": \(response.bodyText)"))
        }
        try APIResponseRules.check(response, provider: provider, retryAfter: retryAfter)
        let bytes = Array(response.body)
        let names = [Array(fields.id.utf8)] + fields.modified.map { Array($0.utf8) }
        if let found = JSONArraySlices.objects(fields.rowsKey, members: names, in: bytes),
           let rows = plainRows(found, names: names.count, in: bytes, body: response.body, source: source, type: type, modifiedAt: modifiedAt),
           let meta = try? JSONSerialization.jsonObject(with: Data(bytes[..<found.array.lowerBound] + Array("[]".utf8) + bytes[found.array.upperBound...])) as? [String: Any] {
            return Document(rows: rows, meta: meta)
        }
        return try serializedDocument(response, provider: provider, source: source, type: type, fields: fields, modifiedAt: modifiedAt)
    }

    /// The rows, if every one is an object whose id and time are plain: an id that is a non-empty
    /// string without escapes or an integer, a time that is a string without escapes (or absent).
    ///
    /// Each row's JSON is a slice of `body` (which `bytes` copies), sharing its storage: a thousand
    /// rows a page cost a thousand allocations and copies on the listing's critical path when each
    /// row had bytes of its own.
    private static func plainRows(
        _ found: JSONArraySlices.FoundObjects, names: Int, in bytes: [UInt8], body: Data, source: String, type: String,
        modifiedAt: (String) -> Date?
    ) -> [ListedEntity]? {
        var rows: [ListedEntity] = []
        rows.reserveCapacity(found.elements.count)
        for (index, element) in found.elements.enumerated() {
            let members = found.members[(index * names)..<((index + 1) * names)]
            guard let idRange = members.first!, let id = plainIdentifier(bytes[idRange]) else { return nil }
            var modified: Date?
            for case let range? in members.dropFirst() {
                let value = bytes[range]
                guard value.first == UInt8(ascii: "\"") else { continue }
                guard let text = plainString(value) else { return nil }
                modified = modifiedAt(text)
                break
            }
            let json = body[(body.startIndex + element.lowerBound)..<(body.startIndex + element.upperBound)]
            rows.append(ListedEntity(key: EntityKey(source: source, type: type, id: id), json: json, remoteModifiedAt: modified))
        }
        return rows
    }

    /// The contents of a JSON string with no escapes in it; nil for any other value.
    private static func plainString(_ value: ArraySlice<UInt8>) -> String? {
        guard value.count >= 2, value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\""),
              !value.contains(UInt8(ascii: "\\")) else { return nil }
        return String(decoding: value.dropFirst().dropLast(), as: UTF8.self)
    }

    /// A non-empty plain string, or an integer written as digits (with an optional minus sign).
    private static func plainIdentifier(_ value: ArraySlice<UInt8>) -> String? {
        if let text = plainString(value) { return text.isEmpty ? nil : text }
        let digits = value.first == UInt8(ascii: "-") ? value.dropFirst() : value
        guard !digits.isEmpty, digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        return String(decoding: value, as: UTF8.self)
    }

    /// The slow path of `document`: the whole answer through `JSONSerialization`, each row re-encoded
    /// unless its bytes can be found.
    static func serializedDocument(
        _ response: APIResponse, provider: String, source: String, type: String, fields: RowFields, modifiedAt: (String) -> Date?
    ) throws -> Document {
        guard var object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] else {
            throw ProviderAPIError.rejected("\(provider): the listing is not a JSON object: \(response.bodyText)")
        }
        guard let array = object[fields.rowsKey] as? [Any] else { throw ProviderAPIError.rejected("\(provider): the listing has no row array") }
        object[fields.rowsKey] = [Any]()
        let bytes = Array(response.body)
        let slices = JSONArraySlices.elements(of: fields.rowsKey, in: bytes).flatMap { $0.count == array.count ? $0 : nil }
        let rows = try array.enumerated().map { index, element in
            guard let row = element as? [String: Any], let id = JSONField.identifier(row[fields.id]) else {
                throw ProviderAPIError.rejected("\(provider): a listing row has no \(fields.id)")
            }
            let json = try slices.map { Data(bytes[$0[index]]) }
                ?? JSONSerialization.data(withJSONObject: row, options: [.sortedKeys, .withoutEscapingSlashes])
            let modified = fields.modified.lazy.compactMap { row[$0] as? String }.first
            return ListedEntity(key: EntityKey(source: source, type: type, id: id), json: json, remoteModifiedAt: modified.flatMap(modifiedAt))
        }
        return Document(rows: rows, meta: object)
    }

    static func int(_ value: Any?) -> Int? { JSONField.integer(value) }
}
