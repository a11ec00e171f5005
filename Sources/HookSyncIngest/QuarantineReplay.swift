import Foundation
public import HookSyncConfig
public import HookSyncCore
import HookSyncProviders

/// Re-reads a quarantined request with today's parser and, if it now parses, enqueues its events and
/// removes it from the quarantine. For after a parser fix or a config change (a missing type in the URL).
///
/// Authentication is not redone: the request was authenticated when it arrived, and its token was
/// removed before it was stored.
public enum QuarantineReplay {
    public enum Outcome: Sendable, Equatable {
        case enqueued(events: Int)
        case stillRejected(reason: String)
    }

    public static func replay(_ stored: StoredQuarantinedDelivery, config: HookSyncConfiguration, store: any QueueStore) async throws -> Outcome {
        let delivery = stored.delivery
        guard let source = config.source(named: delivery.source) else {
            return .stillRejected(reason: "source \"\(delivery.source)\" is no longer configured")
        }
        let parser = WebhookParsers.parser(for: source.kind)
        let envelopes: [EventEnvelope]
        do {
            envelopes = try parser.parse(WebhookRequest(replaying: delivery), source: source.name)
        } catch {
            return .stillRejected(reason: "\(error)")
        }
        _ = try await store.enqueue(envelopes)
        _ = try await store.dropQuarantined(id: stored.id)
        return .enqueued(events: envelopes.count)
    }
}

extension WebhookRequest {
    /// The request as it arrived, rebuilt from what the quarantine kept.
    init(replaying delivery: QuarantinedDelivery) {
        let raw = delivery.raw
        var query: [String: String] = [:]
        for item in URLComponents(string: "?" + raw.query)?.queryItems ?? [] where query[item.name] == nil {
            query[item.name] = item.value ?? ""
        }
        // /hooks/{source}/{type}: the type segment, if the sender's URL had one.
        let segments = raw.path.split(separator: "/").map(String.init)
        let urlType = segments.count >= 3 && segments[0] == "hooks" ? segments[2] : nil
        self.init(
            method: raw.method, path: raw.path, urlType: urlType, query: query, rawQuery: raw.query,
            headers: raw.headers, body: raw.body, receivedAt: delivery.receivedAt)
    }
}
