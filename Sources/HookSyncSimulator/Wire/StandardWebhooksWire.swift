import Foundation
import HTTPTypes

/// The API of a Standard Webhooks sender, as HookSync's `fetch_url`/`list_url` templates expect it:
/// an optional bearer token; `updated_at` in ISO 8601 UTC; listings paged by an opaque cursor,
/// `next_cursor` null on the last page; a 429 with `Retry-After` in seconds.
///
/// ```
/// GET /standard/order/ord_1                          → {"id": "ord_1", "type": "order", "updated_at": "2026-01-02T03:04:05.000Z", …}
/// GET /standard/order?updated_since=2026-01-01T00:00:00Z&cursor=
///                                                    → {"data": […], "next_cursor": "…" | null}
/// ```
///
/// The cursor is a keyset position (the last row's time and id), so rows that change while a client
/// pages move behind it or ahead of it but are never served twice in one pass nor skip a row that
/// did not change.
struct StandardWebhooksWire: ProviderWire {
    /// `nil`: no credentials required.
    let token: String?

    var provider: SimulatedProvider { .standardWebhooks }

    func route(_ segments: [String]) -> WireRoute? {
        switch segments.count {
        case 1: .listing(typeSegment: segments[0])
        case 2: .entity(typeSegment: segments[0], address: segments[1])
        default: nil
        }
    }

    func credentialsRefusal(_ headers: HTTPFields) -> String? {
        guard let token else { return nil }
        return headers.hasBearer(token) ? nil : "invalid or missing bearer token"
    }

    func render(_ entity: SimulatedEntity, origin: String) -> JSONValue {
        .entity(fields: entity.fields, overlay: [
            "id": .string(entity.id), "type": .string(entity.type),
            "updated_at": .string(WireTime.iso(entity.updatedAt, fraction: true)),
        ])
    }

    func listing(_ rows: [SimulatedEntity], _ request: ListingRequest, origin: String) throws(WireError) -> JSONValue {
        var matching = rows[...]
        if let text = request.parameters["updated_since"], !text.isEmpty {
            guard let since = WireTime.parseISO(text) else { throw WireError("updated_since must be an ISO 8601 time, got \(text)") }
            matching = matching.drop { $0.updatedAt < since }
        }
        if let cursor = request.parameters["cursor"], !cursor.isEmpty {
            guard let position = Self.position(cursor) else { throw WireError("cursor \(cursor) is not one this API issued") }
            matching = matching.drop { !EntityOrder.precedes(position, ($0.updatedAt, $0.id)) }
        }
        let page = matching.prefix(request.cursorPageSize)
        let next: JSONValue = page.count < matching.count ? page.last.map { .string(Self.cursor(after: $0)) } ?? .null : .null
        return .object(["data": .array(page.map { render($0, origin: origin) }), "next_cursor": next])
    }

    func rateLimited(_ wait: RateLimitWait) -> WireResponse { retryAfterSeconds(wait) }

    /// Base64url of `<milliseconds>:<id>`: opaque to clients, readable when debugging.
    static func cursor(after row: SimulatedEntity) -> String {
        Data("\(row.updatedAt):\(row.id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    private static func position(_ cursor: String) -> (updatedAt: Int64, id: String)? {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":"), let milliseconds = Int64(text[..<colon]) else { return nil }
        return (milliseconds, String(text[text.index(after: colon)...]))
    }
}
