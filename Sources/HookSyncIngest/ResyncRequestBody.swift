import Foundation
import HookSyncConfig
import HookSyncCore
import HTTPTypes

/// The body of `POST /admin/resync`: `{"source": "precoro", "type": "invoice", "since": "2026-11-01T00:00:00Z"}`
/// or `{"source": "precoro", "full": true}`. Checked against the configuration before it is recorded,
/// so a typo is refused at once rather than found by the reconcile run that takes it.
struct ResyncRequestBody: Decodable {
    var source: String
    var type: String?
    var since: String?
    var full: Bool?

    /// The request to record, or a 400 that says what is wrong.
    static func validated(_ body: Data, config: HookSyncConfiguration) throws -> ResyncRequest {
        let decoded: ResyncRequestBody
        do {
            decoded = try JSONDecoder().decode(ResyncRequestBody.self, from: body)
        } catch {
            throw JSONError(.badRequest, #"expected JSON {"source": "…", "type"?: "…", "since"?: "ISO 8601 time", "full"?: true}"#)
        }
        guard let source = config.source(named: decoded.source) else {
            throw JSONError(.badRequest, "no source named \(decoded.source) (sources: \(config.sources.map(\.name).joined(separator: ", ")))")
        }
        let types = source.reconcile.types
        if let type = decoded.type, !types.contains(type) {
            // Only what the configuration lists: a type is a path segment of the provider's API.
            throw JSONError(.badRequest, types.isEmpty
                ? "source \(source.name) lists no reconcile.types; add \(String(reflecting: type)) there to resync it"
                : "source \(source.name) does not list type \(String(reflecting: type)) (reconcile.types: \(types.joined(separator: ", ")))")
        }
        if decoded.type == nil, types.isEmpty {
            throw JSONError(.badRequest, "source \(source.name) has no reconcile.types; name a type")
        }
        let full = decoded.full ?? false
        if full, decoded.since != nil { throw JSONError(.badRequest, "since and full exclude each other") }
        var since: Date?
        if let text = decoded.since {
            guard let date = CivilTime.parseISO8601(text) else {
                throw JSONError(.badRequest, "since \(text) is not an ISO 8601 time such as 2026-11-01T00:00:00Z")
            }
            since = date
        }
        return ResyncRequest(source: source.name, type: decoded.type, since: since, full: full)
    }
}
