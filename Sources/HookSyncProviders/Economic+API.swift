import Foundation
import HookSyncCore

extension EconomicWebhookParser {
    /// Entity type → (collection path, number field), from docs/providers.md; another type `t` is assumed
    /// to live at `/ts` with a `tNumber` field.
    public static let collections: [String: (path: String, numberField: String)] = [
        "customer": ("customers", "customerNumber"), "product": ("products", "productNumber"),
        "supplier": ("suppliers", "supplierNumber"), "draft_invoice": ("invoices/drafts", "draftInvoiceNumber"),
        "booked_invoice": ("invoices/booked", "bookedInvoiceNumber"), "order": ("orders/drafts", "orderNumber"),
        "quote": ("quotes/drafts", "quoteNumber"),
    ]

    public static func collection(for type: String) -> (path: String, numberField: String) {
        collections[type] ?? ("\(type)s", "\(type)Number")
    }
}

/// e-conomic's REST API: `X-AppSecretToken` and `X-AgreementGrantToken`; entities addressed by number.
///
/// A renumber (`old_number` in the event's extras) means the old number no longer exists: the worker
/// tombstones it (`supersededKeys`) and fetches the new one.
///
/// ```yaml
/// api: { app_secret_token: "${ECONOMIC_APP_SECRET}", agreement_grant_token: "${ECONOMIC_GRANT}" }
/// ```
struct EconomicAPI: ProviderAPI {
    let source: String
    let baseURL: String
    let headers: [String: String]
    let transport: any HTTPTransport
    let now: @Sendable () -> Date

    init(settings: APISettings, transport: any HTTPTransport, now: @escaping @Sendable () -> Date) throws {
        source = settings.source
        baseURL = try settings.baseURL()
        headers = [
            "X-AppSecretToken": try settings.required("app_secret_token"),
            "X-AgreementGrantToken": try settings.required("agreement_grant_token"),
            "Accept": "application/json",
        ]
        self.transport = transport
        self.now = now
    }

    func fetch(_ key: EntityKey, extras: [String: String]) async throws -> FetchResult {
        let path = EconomicWebhookParser.collection(for: key.type).path
        let response = try await transport.send(APIRequest(url: "\(baseURL)/\(path)/\(URLPath.segment(key.id))", headers: headers))
        return try APIResponseRules.fetchResult(response, provider: "economic", retryAfter: { APIResponseRules.retryAfterHeader($0, now: now()) }) { object in
            (object["lastUpdated"] as? String).flatMap(ISOTimestamp.parse)
        }
    }

    /// e-conomic pages with `skippages` and `pagesize` (at most 1000); times are UTC.
    var listingPaging: ListingPaging { .offset(maxPageSize: 1_000) }

    func list(_ query: ListingQuery) async throws -> ListingPage {
        let collection = EconomicWebhookParser.collection(for: query.type)
        let url = ListingWire.url("\(baseURL)/\(collection.path)", [
            ("filter", query.since.map { "lastUpdated$gte:\(ISOTimestamp.format($0))" }), ("sort", "lastUpdated"),
            ("pagesize", String(min(query.pageSize, 1_000))), ("skippages", String(query.page)),
        ])
        let response = try await transport.send(APIRequest(url: url, headers: headers))
        let document = try ListingWire.document(
            response, provider: "economic", retryAfter: { APIResponseRules.retryAfterHeader($0, now: now()) }, source: source, type: query.type,
            fields: .init(rowsKey: "collection", id: collection.numberField, modified: ["lastUpdated"]), modifiedAt: ISOTimestamp.parse)
        let rows = document.rows
        let pagination = document.meta["pagination"] as? [String: Any]
        return ListingPage(rows: rows, hasMore: pagination?["nextPage"] is String, total: ListingWire.int(pagination?["results"]))
    }

    func supersededKeys(of key: EntityKey, actions: ActionHistory, extras: [String: String]) -> [EntityKey] {
        guard let old = extras["old_number"], old != key.id else { return [] }
        return [EntityKey(source: key.source, type: key.type, id: old)]
    }
}
