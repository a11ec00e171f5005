import HTTPTypes

/// Precoro's API as HookSync assumes it (docs/providers.md): `X-AUTH-TOKEN` and `email` headers; documents
/// addressed by their IDN, suppliers and custom fields by id; `updateDate` without a zone (UTC here);
/// listings paged by page number; a 429 that names the time to come back in its JSON body and sends no
/// `Retry-After` header.
///
/// ```
/// GET /precoro/purchaseorders/5                     → {"id": 123456, "idn": 5, "updateDate": "2026-01-02T03:04:05", …}
/// GET /precoro/invoices?modifiedSince=2026-01-01T00:00:00&page=1&per_page=200
///                                                   → {"data": […], "meta": {"pagination": {"current_page", "total_pages", "total"}}}
/// ```
struct PrecoroWire: ProviderWire {
    /// Entity type → API collection.
    static let collections: [String: String] = [
        "purchase_order": "purchaseorders", "invoice": "invoices", "supplier": "suppliers", "receipt": "receipts",
        "expense": "expenses", "purchase_requisition": "purchaserequisitions", "warehouse_request": "warehouserequests",
        "rfp": "rfps", "stock_transfer": "stocktransfers", "budget": "budgets",
        "document_custom_field": "documentcustomfields", "item_custom_field": "itemcustomfields",
    ]
    static let typesByCollection = Dictionary(uniqueKeysWithValues: collections.map { ($1, $0) })
    /// Every other type is a document: it gets an IDN and is fetched by it.
    static let typesAddressedByID: Set<String> = ["supplier", "document_custom_field", "item_custom_field"]
    static let pageSizes = [10, 20, 50, 100, 200]

    static func isDocument(_ type: String) -> Bool { !typesAddressedByID.contains(type) }

    let email: String
    let token: String

    var provider: SimulatedProvider { .precoro }

    func route(_ segments: [String]) -> WireRoute? {
        guard let collection = segments.first, let type = Self.typesByCollection[collection] else { return nil }
        switch segments.count {
        case 1: return .listing(typeSegment: type)
        case 2: return .entity(typeSegment: type, address: segments[1])
        default: return nil
        }
    }

    func credentialsRefusal(_ headers: HTTPFields) -> String? {
        headers[.xAuthToken] == token && headers[.email] == email ? nil : "invalid X-AUTH-TOKEN or email"
    }

    func render(_ entity: SimulatedEntity, origin: String) -> JSONValue {
        var own: [String: JSONValue] = ["id": .identifier(entity.id), "updateDate": .string(Self.timestamp(entity.updatedAt))]
        if let idn = entity.idn { own["idn"] = .int(Int64(idn)) }
        return .entity(fields: entity.fields, overlay: own)
    }

    /// `2026-01-02T03:04:05`, UTC.
    static func timestamp(_ milliseconds: Int64) -> String {
        WireTime.local(milliseconds, offsetSeconds: 0, separator: "T", fraction: false)
    }

    func listing(_ rows: [SimulatedEntity], _ request: ListingRequest, origin: String) throws(WireError) -> JSONValue {
        var since: Int64?
        if let text = request.parameters["modifiedSince"], !text.isEmpty {
            guard let parsed = WireTime.parseLocal(text, offsetSeconds: 0) else {
                throw WireError("modifiedSince must be YYYY-MM-DDTHH:MM:SS, got \(text)")
            }
            since = parsed
        }
        let perPage = try request.integer("per_page", default: 10, in: 1...1_000)
        guard Self.pageSizes.contains(perPage) else {
            throw WireError("per_page must be one of \(Self.pageSizes.map(String.init).joined(separator: ", ")), got \(perPage)")
        }
        let page = try request.integer("page", default: 1, in: 1...1_000_000)
        let matching = since.map { since in rows.filter { $0.updatedAt >= since } } ?? rows
        let start = min(matching.count, (page - 1) * perPage)
        let slice = matching[start..<min(matching.count, start + perPage)]
        return .object([
            "data": .array(slice.map { render($0, origin: origin) }),
            "meta": .object([
                "pagination": .object([
                    "current_page": .int(Int64(page)), "per_page": .int(Int64(perPage)),
                    "total_pages": .int(Int64((matching.count + perPage - 1) / perPage)), "total": .int(Int64(matching.count)),
                ])
            ]),
        ])
    }

    /// No `Retry-After` header: the body names the limiter and the UTC time the window frees, rounded
    /// up to the second so that coming back then is admitted.
    func rateLimited(_ wait: RateLimitWait) -> WireResponse {
        let retryAt = WireTime.floor(wait.retryAt + 999, to: 1_000)
        let seconds = wait.period.components.seconds
        let limiter = seconds <= 1 ? "Second limiter" : seconds <= 60 ? "Minute limiter" : seconds <= 3_600 ? "Hour limiter" : "Daily limiter"
        return WireResponse(
            status: .tooManyRequests,
            body: .object([
                "RateLimit-Type": .string(limiter),
                "RateLimit-Retry-After": .string(WireTime.local(retryAt, offsetSeconds: 0, separator: " ", fraction: false) + " UTC"),
                "RateLimit-Limit": .int(Int64(wait.limit)),
            ]))
    }
}
