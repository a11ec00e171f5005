import Foundation
import HookSyncCore
import HookSyncProviders
import Testing

extension WebhookRequest {
    static let fixtureReceivedAt = Date(timeIntervalSince1970: 1_767_225_600)

    /// A request as ingest would build it: `query` in the order given, also encoded into `rawQuery`.
    static func fixture(
        _ method: String = "POST", path: String = "/hooks/test", type: String? = nil, query: [(String, String)] = [],
        headers: [String: String] = [:], body: String = "", receivedAt: Date = fixtureReceivedAt
    ) -> WebhookRequest {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+[]{}")
        let rawQuery = query.map { name, value in
            "\(name.addingPercentEncoding(withAllowedCharacters: allowed)!)=\(value.addingPercentEncoding(withAllowedCharacters: allowed)!)"
        }.joined(separator: "&")
        var decoded: [String: String] = [:]
        for (name, value) in query where decoded[name] == nil { decoded[name] = value }
        return WebhookRequest(
            method: method, path: path, urlType: type, query: decoded, rawQuery: rawQuery,
            headers: headers, body: Data(body.utf8), receivedAt: receivedAt)
    }
}

/// The reason `parser` rejects `request` with, or nil when it parses.
func rejectionReason(_ parser: some WebhookParser, _ request: WebhookRequest) -> String? {
    do {
        _ = try parser.parse(request, source: "test")
        return nil
    } catch {
        return error.reason
    }
}

/// The one envelope a single-event request parses into (and an issue if it is not exactly one).
func parseSingle(_ parser: some WebhookParser, _ request: WebhookRequest, source: String) throws -> EventEnvelope {
    let envelopes = try parser.parse(request, source: source)
    #expect(envelopes.count == 1)
    return try #require(envelopes.first)
}
