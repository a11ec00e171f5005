import Foundation
import HTTPTypes

/// Kladana's JSON API 1.2 as HookSync assumes it (docs/providers.md): `Authorization: Bearer`; a request
/// that does not accept gzip is refused with 415; `updated` in Moscow time (UTC+3) with milliseconds;
/// every object carries `meta.href`, its own absolute URL; listings paged by `offset`/`limit` whose
/// `meta.nextHref` is absent on the last page; a 429 that says how long to wait in milliseconds.
///
/// ```
/// GET /kladana/api/remap/1.2/entity/customerorder/7f2c…   → {"id", "updated": "2026-01-02 06:04:05.000", "meta": {"href", "type"}, …}
/// GET /kladana/api/remap/1.2/entity/customerorder?filter=updated>=2026-01-01 00:00:00&order=updated,asc&limit=1000&offset=0
///                                                         → {"meta": {"size", "limit", "offset", "nextHref"}, "rows": […]}
/// ```
struct KladanaWire: ProviderWire {
    static let maxLimit = 1_000

    let token: String

    var provider: SimulatedProvider { .kladana }

    func route(_ segments: [String]) -> WireRoute? {
        guard segments.first == "entity" else { return nil }
        switch segments.count {
        case 2: return .listing(typeSegment: segments[1])
        case 3: return .entity(typeSegment: segments[1], address: segments[2])
        default: return nil
        }
    }

    func credentialsRefusal(_ headers: HTTPFields) -> String? {
        headers.hasBearer(token) ? nil : "invalid or missing bearer token"
    }

    func requestRefusal(_ headers: HTTPFields) -> WireResponse? {
        let accepted = headers[values: .acceptEncoding].joined(separator: ",").lowercased()
        return accepted.contains("gzip") ? nil : .error(.unsupportedMediaType, "Accept-Encoding: gzip is required")
    }

    func render(_ entity: SimulatedEntity, origin: String) -> JSONValue {
        .entity(fields: entity.fields, overlay: [
            "id": .string(entity.id),
            "updated": .string(Self.timestamp(entity.updatedAt)),
            "meta": .object([
                "href": .string(href(type: entity.type, id: entity.id, origin: origin)), "type": .string(entity.type),
                "mediaType": .string("application/json"),
            ]),
        ])
    }

    /// The entity's own URL, which objects and webhook events carry in `meta.href`.
    func href(type: String, id: String, origin: String) -> String {
        origin + provider.pathPrefix + "/entity/" + Self.segment(type) + "/" + Self.segment(id)
    }

    /// `2026-01-02 06:04:05.000`, Moscow time.
    static func timestamp(_ milliseconds: Int64) -> String {
        WireTime.local(milliseconds, offsetSeconds: WireTime.moscow, separator: " ", fraction: true)
    }

    func listing(_ rows: [SimulatedEntity], _ request: ListingRequest, origin: String) throws(WireError) -> JSONValue {
        let filter = request.parameters["filter"].flatMap { $0.isEmpty ? nil : $0 }
        let conditions = try filter.map { text throws(WireError) in try Self.conditions(text) } ?? []
        let order = request.parameters["order"].flatMap { $0.isEmpty ? nil : $0 }
        if let order, order != "updated", order != "updated,asc" {
            throw WireError("the simulator orders only by updated,asc, got order=\(order)")
        }
        let limit = try request.integer("limit", default: Self.maxLimit, in: 1...Self.maxLimit)
        let offset = try request.integer("offset", default: 0, in: 0...Int(Int32.max))
        let matching = rows.filter { row in conditions.allSatisfy { $0(row.updatedAt) } }
        let start = min(matching.count, offset)
        let slice = matching[start..<min(matching.count, start + limit)]

        func page(_ offset: Int) -> JSONValue {
            var items: [(String, String)] = []
            if let filter { items.append(("filter", filter)) }
            if let order { items.append(("order", order)) }
            items += [("limit", String(limit)), ("offset", String(offset))]
            return .string(request.link(items))
        }
        var meta: [String: JSONValue] = [
            "href": page(offset), "type": .string(request.type), "mediaType": .string("application/json"),
            "size": .int(Int64(matching.count)), "limit": .int(Int64(limit)), "offset": .int(Int64(offset)),
        ]
        if offset + limit < matching.count { meta["nextHref"] = page(offset + limit) }
        if offset > 0 { meta["previousHref"] = page(max(0, offset - limit)) }
        return .object(["meta": .object(meta), "rows": .array(slice.map { render($0, origin: origin) })])
    }

    func rateLimited(_ wait: RateLimitWait) -> WireResponse {
        WireResponse(
            status: .tooManyRequests,
            headers: [
                .xLognexRetryAfter: String(wait.retryAfterMilliseconds), .xRateLimitRemaining: "0",
                .xLognexReset: String(wait.resetMilliseconds), .xRateLimitLimit: String(wait.limit),
            ],
            body: .object(["error": .string("rate limit exceeded: \(wait.limit) requests per \(wait.period)")]))
    }

    /// `updated>=…;updated<…`: the comparisons on `updated` that a reconcile pass needs, in Moscow time.
    /// Anything else is refused rather than ignored, so a client's mistake shows.
    private static func conditions(_ filter: String) throws(WireError) -> [@Sendable (Int64) -> Bool] {
        var conditions: [@Sendable (Int64) -> Bool] = []
        for part in filter.split(separator: ";") {
            let comparisons: [(String, @Sendable (Int64, Int64) -> Bool)] = [
                ("updated>=", { $0 >= $1 }), ("updated<=", { $0 <= $1 }), ("updated>", { $0 > $1 }), ("updated<", { $0 < $1 }),
            ]
            guard let (prefix, compare) = comparisons.first(where: { part.hasPrefix($0.0) }) else {
                throw WireError("the simulator filters only on updated (>=, <=, >, <), got \(part)")
            }
            // A '+' for a space is what some encoders send for the date-time separator.
            let text = part.dropFirst(prefix.count).replacingOccurrences(of: "+", with: " ")
            guard let bound = WireTime.parseLocal(text, offsetSeconds: WireTime.moscow) else {
                throw WireError("updated must be YYYY-MM-DD HH:mm:ss[.SSS] (Moscow time), got \(text)")
            }
            conditions.append { compare($0, bound) }
        }
        return conditions
    }

    private static func segment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
