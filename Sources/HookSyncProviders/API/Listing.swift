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

    /// Parses a listing answer's JSON object, or throws what the status or shape says.
    static func object(_ response: APIResponse, provider: String, retryAfter: (APIResponse) -> Duration?) throws -> [String: Any] {
        try APIResponseRules.check(response, provider: provider, retryAfter: retryAfter)
        guard let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] else {
            throw ProviderAPIError.rejected("\(provider): the listing is not a JSON object: \(response.bodyText)")
        }
        return object
    }

    /// Turns the row objects under `key` of a parsed listing into entities, each keeping the bytes the
    /// provider sent for it (as an entity fetch keeps its body); a row without an id is a provider fault
    /// worth stopping for.
    static func rows(
        _ key: String, of object: [String: Any], body: Data, source: String, type: String, provider: String, idField: String,
        modifiedAt: ([String: Any]) -> Date?
    ) throws -> [ListedEntity] {
        guard let array = object[key] as? [Any] else { throw ProviderAPIError.rejected("\(provider): the listing has no row array") }
        let bytes = Array(body)
        let slices = JSONArraySlices.elements(of: key, in: bytes).flatMap { $0.count == array.count ? $0 : nil }
        return try array.enumerated().map { index, element in
            guard let row = element as? [String: Any], let id = JSONField.identifier(row[idField]) else {
                throw ProviderAPIError.rejected("\(provider): a listing row has no \(idField)")
            }
            let json = try slices.map { Data(bytes[$0[index]]) }
                ?? JSONSerialization.data(withJSONObject: row, options: [.sortedKeys, .withoutEscapingSlashes])
            return ListedEntity(key: EntityKey(source: source, type: type, id: id), json: json, remoteModifiedAt: modifiedAt(row))
        }
    }

    static func int(_ value: Any?) -> Int? { JSONField.integer(value) }
}
