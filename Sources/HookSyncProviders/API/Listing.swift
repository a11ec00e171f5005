public import Foundation
public import HookSyncCore

/// One request for a page of a provider's "modified since" listing.
///
/// Reconciliation pages by keyset: each pass asks for rows modified at or after `since`, sorted by
/// modification time, and moves `since` forward to the last row it saw, so rows that change while it
/// reads shift nothing it has still to read. `page` only advances within one timestamp, when more rows
/// share it than fit a page.
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
        /// Whether the provider's ids are JSON numbers (tried first) or strings; either is accepted.
        var idIsNumber: Bool
        /// The modification time: the first of these that holds a string.
        var modified: [String]
    }

    /// Reads a listing answer, or throws what its status or shape says. A row without an id is a
    /// provider fault worth stopping for.
    ///
    /// The fast path decodes only the id and the modification time of each row (`JSONDecoder`, which
    /// still checks the whole array is well formed) and parses the rest of the document apart; a
    /// page of 1,000 rows through `JSONSerialization` cost more than writing it to the mirror. A
    /// document it cannot read that way, or a row it finds no id in, goes through `JSONSerialization`
    /// whole, which reads ids as the webhook parsers do and says what is wrong.
    static func document(
        _ response: APIResponse, provider: String, retryAfter: (APIResponse) -> Duration?, source: String, type: String,
        fields: RowFields, modifiedAt: (String) -> Date?
    ) throws -> Document {
        try APIResponseRules.check(response, provider: provider, retryAfter: retryAfter)
        let bytes = Array(response.body)
        if let found = JSONArraySlices.array(fields.rowsKey, in: bytes),
           let decoded = try? rowDecoder(fields).decode([DecodedRow].self, from: Data(bytes[found.array])),
           decoded.count == found.elements.count, !decoded.contains(where: { $0.id == nil }),
           let meta = try? JSONSerialization.jsonObject(with: Data(bytes[..<found.array.lowerBound] + Array("[]".utf8) + bytes[found.array.upperBound...])) as? [String: Any] {
            let rows = zip(decoded, found.elements).map { row, range in
                ListedEntity(key: EntityKey(source: source, type: type, id: row.id!), json: Data(bytes[range]), remoteModifiedAt: row.modified.flatMap(modifiedAt))
            }
            return Document(rows: rows, meta: meta)
        }
        return try serializedDocument(response, provider: provider, source: source, type: type, fields: fields, modifiedAt: modifiedAt)
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

    private static func rowDecoder(_ fields: RowFields) -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.userInfo[DecodedRow.fieldsKey] = fields
        return decoder
    }

    /// The two fields of a row that reconciliation reads; the rest are skipped, not materialized.
    private struct DecodedRow: Decodable {
        static let fieldsKey = CodingUserInfoKey(rawValue: "hooksync.listing-fields")!
        var id: String?
        var modified: String?

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            guard let fields = decoder.userInfo[Self.fieldsKey] as? RowFields else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "no listing fields given"))
            }
            let row = try decoder.container(keyedBy: Key.self)
            let idKey = Key(stringValue: fields.id)
            // As JSONField.identifier reads ids: a non-empty string or a whole number, never a boolean.
            if fields.idIsNumber, let number = try? row.decodeIfPresent(Int64.self, forKey: idKey) {
                id = String(number)
            } else if let text = try? row.decodeIfPresent(String.self, forKey: idKey) {
                id = text.isEmpty ? nil : text
            } else if let number = try? row.decodeIfPresent(Int64.self, forKey: idKey) {
                id = String(number)
            }
            for name in fields.modified {
                if let text = try? row.decodeIfPresent(String.self, forKey: Key(stringValue: name)) {
                    modified = text
                    break
                }
            }
        }
    }

    static func int(_ value: Any?) -> Int? { JSONField.integer(value) }
}
