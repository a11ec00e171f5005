import HTTPTypes

/// e-conomic's REST API as HookSync assumes it (docs/providers.md): `X-AppSecretToken` and
/// `X-AgreementGrantToken` headers; entities addressed by number under their collection; `lastUpdated`
/// in UTC; listings paged by `skippages`/`pagesize` whose `pagination.nextPage` is an absolute URL,
/// absent on the last page; a 429 with `Retry-After` in seconds.
///
/// ```
/// GET /economic/customers/33   → {"customerNumber": 33, "lastUpdated": "2026-01-02T03:04:05Z", …}
/// GET /economic/customers?filter=lastUpdated$gte:2026-01-02T03:04:05Z&sort=lastUpdated&pagesize=100&skippages=0
///                              → {"collection": […], "pagination": {"skipPages", "pageSize", "results", "firstPage", "lastPage", "nextPage"}}
/// ```
struct EconomicWire: ProviderWire {
    /// Entity type → (collection path, number field); another type `t` lives at `ts` with `tNumber`.
    static let collections: [String: (path: String, numberField: String)] = [
        "customer": ("customers", "customerNumber"), "product": ("products", "productNumber"),
        "supplier": ("suppliers", "supplierNumber"), "draft_invoice": ("invoices/drafts", "draftInvoiceNumber"),
        "booked_invoice": ("invoices/booked", "bookedInvoiceNumber"), "order": ("orders/drafts", "orderNumber"),
        "quote": ("quotes/drafts", "quoteNumber"),
    ]
    /// Longest paths first, so `invoices/drafts/7` is a draft invoice rather than invoice "drafts".
    private static let knownPaths: [(type: String, components: [String])] = collections
        .map { (type: $0.key, components: $0.value.path.split(separator: "/").map(String.init)) }
        .sorted { ($0.components.count, $0.type) > ($1.components.count, $1.type) }
    static let maxPageSize = 1_000

    static func collection(for type: String) -> (path: String, numberField: String) {
        collections[type] ?? ("\(type)s", "\(type)Number")
    }

    let appSecret: String
    let grant: String

    var provider: SimulatedProvider { .economic }

    func route(_ segments: [String]) -> WireRoute? {
        for known in Self.knownPaths where segments.starts(with: known.components) {
            let rest = segments.dropFirst(known.components.count)
            if rest.isEmpty { return .listing(typeSegment: known.type) }
            if rest.count == 1 { return .entity(typeSegment: known.type, address: rest.first!) }
        }
        guard (1...2).contains(segments.count), segments[0].count > 1, segments[0].hasSuffix("s") else { return nil }
        let type = String(segments[0].dropLast())
        return segments.count == 1 ? .listing(typeSegment: type) : .entity(typeSegment: type, address: segments[1])
    }

    func credentialsRefusal(_ headers: HTTPFields) -> String? {
        headers[.xAppSecretToken] == appSecret && headers[.xAgreementGrantToken] == grant
            ? nil : "invalid X-AppSecretToken or X-AgreementGrantToken"
    }

    func render(_ entity: SimulatedEntity, origin: String) -> JSONValue {
        .entity(fields: entity.fields, overlay: [
            Self.collection(for: entity.type).numberField: .identifier(entity.id),
            "lastUpdated": .string(WireTime.iso(entity.updatedAt, fraction: false)),
        ])
    }

    func listing(_ rows: [SimulatedEntity], _ request: ListingRequest, origin: String) throws(WireError) -> JSONValue {
        let filter = request.parameters["filter"].flatMap { $0.isEmpty ? nil : $0 }
        var since: Int64?
        if let filter {
            let prefix = "lastUpdated$gte:"
            guard filter.hasPrefix(prefix), let parsed = WireTime.parseISO(String(filter.dropFirst(prefix.count))) else {
                throw WireError("the simulator understands only filter=lastUpdated$gte:<ISO 8601 time>, got \(filter)")
            }
            since = parsed
        }
        let sort = request.parameters["sort"].flatMap { $0.isEmpty ? nil : $0 }
        if let sort, sort != "lastUpdated" {
            throw WireError("the simulator sorts only by lastUpdated, got sort=\(sort)")
        }
        let pageSize = try request.integer("pagesize", default: 20, in: 1...Self.maxPageSize)
        let skipPages = try request.integer("skippages", default: 0, in: 0...1_000_000)
        let matching = since.map { since in rows.filter { $0.updatedAt >= since } } ?? rows
        let start = min(matching.count, skipPages * pageSize)
        let slice = matching[start..<min(matching.count, start + pageSize)]
        let lastPage = max(0, (matching.count + pageSize - 1) / pageSize - 1)

        func page(_ number: Int) -> JSONValue {
            var items: [(String, String)] = []
            if let filter { items.append(("filter", filter)) }
            if let sort { items.append(("sort", sort)) }
            items += [("pagesize", String(pageSize)), ("skippages", String(number))]
            return .string(request.link(items))
        }
        var pagination: [String: JSONValue] = [
            "skipPages": .int(Int64(skipPages)), "pageSize": .int(Int64(pageSize)),
            "maxPageSizeAllowed": .int(Int64(Self.maxPageSize)), "results": .int(Int64(matching.count)),
            "resultsWithoutFilter": .int(Int64(rows.count)), "firstPage": page(0), "lastPage": page(lastPage),
        ]
        if skipPages < lastPage { pagination["nextPage"] = page(skipPages + 1) }
        if skipPages > 0 { pagination["previousPage"] = page(min(skipPages - 1, lastPage)) }
        return .object([
            "collection": .array(slice.map { render($0, origin: origin) }),
            "pagination": .object(pagination),
            "self": page(skipPages),
        ])
    }

    func rateLimited(_ wait: RateLimitWait) -> WireResponse { retryAfterSeconds(wait) }
}
