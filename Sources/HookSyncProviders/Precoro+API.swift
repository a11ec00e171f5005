import Foundation
import HookSyncCore

extension Precoro {
    /// Entity type → the API collection it lives in (docs/providers.md, "Precoro"; assumed where
    /// Precoro's documentation is silent).
    public static let collections: [String: String] = [
        "purchase_order": "purchaseorders", "invoice": "invoices", "supplier": "suppliers", "receipt": "receipts",
        "expense": "expenses", "purchase_requisition": "purchaserequisitions", "warehouse_request": "warehouserequests",
        "rfp": "rfps", "stock_transfer": "stocktransfers", "budget": "budgets",
        "document_custom_field": "documentcustomfields", "item_custom_field": "itemcustomfields",
    ]

    /// Types Precoro's API addresses by `id`; every other type is a document, addressed by its `idn`.
    public static let typesFetchedByID: Set<String> = ["supplier", "document_custom_field", "item_custom_field"]
}

/// Precoro's API: `X-AUTH-TOKEN` and `email` headers; documents fetched by IDN, the rest by id.
///
/// A 429 carries no `Retry-After` header but a JSON body whose `RateLimit-Retry-After` is a UTC time
/// (`2025-12-16 09:00:49 UTC`); the wait is until then.
///
/// ```yaml
/// api: { base_url: "https://api.precoro.com", email: "ops@example.com", token: "${PRECORO_API_TOKEN}" }
/// ```
struct PrecoroAPI: ProviderAPI {
    let source: String
    let baseURL: String
    let headers: [String: String]
    let zone: TimeZone
    let transport: any HTTPTransport
    let now: @Sendable () -> Date

    init(settings: APISettings, transport: any HTTPTransport, now: @escaping @Sendable () -> Date) throws {
        source = settings.source
        baseURL = try settings.baseURL()
        headers = ["X-AUTH-TOKEN": try settings.required("token"), "email": try settings.required("email"), "Accept": "application/json"]
        // docs/providers.md: the zone of `updateDate` is unverified, so it is a setting (default UTC).
        let zoneName = settings["time_zone"] ?? "UTC"
        guard let zone = TimeZone(identifier: zoneName) else {
            throw APIConfigurationError("sources[\(settings.source)].api.time_zone: unknown time zone \(zoneName)")
        }
        self.zone = zone
        self.transport = transport
        self.now = now
    }

    func fetch(_ key: EntityKey, extras: [String: String]) async throws -> FetchResult {
        guard let collection = Precoro.collections[key.type] else {
            throw ProviderAPIError.rejected("precoro: no API collection known for type \(key.type)")
        }
        let address: String
        if Precoro.typesFetchedByID.contains(key.type) {
            address = key.id
        } else if let idn = extras["idn"] {
            address = idn
        } else {
            // Fetching a document by id would 404 and wrongly tombstone it: refuse instead.
            throw ProviderAPIError.unfetchable(
                "precoro: \(key) is a document, fetched by IDN, and its events carried no idn; `hooksync reconcile` or `resync` brings it in from the listing")
        }
        let response = try await transport.send(APIRequest(url: "\(baseURL)/\(collection)/\(URLPath.segment(address))", headers: headers))
        return try APIResponseRules.fetchResult(response, provider: "precoro", retryAfter: retryAfter) { object in
            (object["updateDate"] as? String).flatMap { LocalTimestamp.parse($0, in: zone) }
        }
    }

    /// Precoro pages by number (`page`, 1-based) with `per_page` at most 200; `modifiedSince` has no
    /// zone, so it is written in the configured `time_zone`.
    var listingPaging: ListingPaging { .offset(maxPageSize: 200) }

    func list(_ query: ListingQuery) async throws -> ListingPage {
        guard let collection = Precoro.collections[query.type] else {
            throw ProviderAPIError.rejected("precoro: no API collection known for type \(query.type)")
        }
        let perPage = [10, 20, 50, 100, 200].last { $0 <= query.pageSize } ?? 10
        let url = ListingWire.url("\(baseURL)/\(collection)", [
            ("modifiedSince", query.since.map { LocalTimestamp.format($0, in: zone, separator: "T") }),
            ("page", String(query.page + 1)), ("per_page", String(perPage)),
        ])
        let response = try await transport.send(APIRequest(url: url, headers: headers))
        let document = try ListingWire.document(
            response, provider: "precoro", retryAfter: retryAfter, source: source, type: query.type,
            fields: .init(rowsKey: "data", id: "id", modified: ["updateDate"])) { LocalTimestamp.parse($0, in: zone) }
        let rows = document.rows
        let pagination = (document.meta["meta"] as? [String: Any])?["pagination"] as? [String: Any]
        let current = ListingWire.int(pagination?["current_page"]) ?? query.page + 1
        let pages = ListingWire.int(pagination?["total_pages"]) ?? current
        return ListingPage(rows: rows, hasMore: current < pages, total: ListingWire.int(pagination?["total"]))
    }

    func retryAfter(_ response: APIResponse) -> Duration? {
        Self.retryAfter(response, now: now())
    }

    /// Precoro's JSON `RateLimit-Retry-After` (`yyyy-MM-dd HH:mm:ss UTC`), else a standard header.
    static func retryAfter(_ response: APIResponse, now: Date) -> Duration? {
        if let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any],
           let text = object["RateLimit-Retry-After"] as? String {
            let stamp = text.hasSuffix(" UTC") ? String(text.dropLast(4)) : text
            if let until = LocalTimestamp.parse(stamp, in: TimeZone(identifier: "UTC")!) {
                return .milliseconds(Int64(max(0, until.timeIntervalSince(now)) * 1000))
            }
        }
        return APIResponseRules.retryAfterHeader(response, now: now)
    }
}
