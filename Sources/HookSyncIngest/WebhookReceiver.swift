import Foundation
import HookSyncConfig
import HookSyncCore
import HookSyncProviders
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Handles `/hooks/{source}[/{type}]`: authenticate, parse into envelopes, commit, and only then
/// answer 200.
///
/// Every provider gets 200 for everything it sent that was authentic (Precoro treats anything but
/// 200/201 as a failure and disables the webhook after five): what cannot be parsed is kept in the
/// quarantine and the answer says so. Only what HookSync itself cannot store gets a 503, so the
/// sender retries.
struct WebhookReceiver: Sendable {
    struct Endpoint: Sendable {
        var source: SourceConfiguration
        var authenticator: WebhookAuthenticator
        var parser: any WebhookParser
        /// Kladana's workflow webhooks do not say which method they use; everyone else POSTs.
        var acceptsGET: Bool { source.kind == .kladana }
    }

    let endpoints: [String: Endpoint]
    /// Commits one request's envelopes, in a transaction shared with whatever requests come at once.
    let commit: @Sendable ([EventEnvelope]) async throws -> Void
    let store: any QueueStore
    let metrics: IngestMetrics
    let writeHealth: WriteHealth
    let clock: any WallClock
    let maxBodyBytes: Int
    let logger: Logger

    init(
        config: HookSyncConfiguration, store: any QueueStore, metrics: IngestMetrics, writeHealth: WriteHealth, clock: any WallClock, logger: Logger
    ) {
        var endpoints: [String: Endpoint] = [:]
        for source in config.sources {
            endpoints[source.name] = Endpoint(
                source: source, authenticator: WebhookAuthenticator(source: source), parser: WebhookParsers.parser(for: source.kind))
        }
        self.endpoints = endpoints
        if let store = store as? any SynchronousEnqueue {
            self.commit = Self.synchronousCommit(store, metrics: metrics, writeHealth: writeHealth, maxWait: config.queue.busyTimeout)
        } else {
            let committer = GroupCommit<[EventEnvelope]> { requests in
                _ = try await store.enqueue(requests.flatMap { $0 })
                metrics.recordCommit(requests: requests.count)
                writeHealth.succeeded()
            }
            self.commit = { envelopes in try await committer.submit([envelopes]) }
        }
        self.store = store
        self.metrics = metrics
        self.writeHealth = writeHealth
        self.clock = clock
        self.maxBodyBytes = config.ingest.maxBodyBytes
        self.logger = logger
    }

    /// Each request encodes its own events; the committer's thread only writes them. No sender waits
    /// longer than `maxWait` (`queue.busy_timeout`) in all, however long it queued behind other commits.
    private static func synchronousCommit<Store: SynchronousEnqueue>(
        _ store: Store, metrics: IngestMetrics, writeHealth: WriteHealth, maxWait: Duration
    ) -> @Sendable ([EventEnvelope]) async throws -> Void {
        let committer = GroupCommit<Store.Prepared>(blockingCommit: { requests, oldestSubmission in
            _ = try store.enqueueSynchronously(requests, lockWait: maxWait - (ContinuousClock.now - oldestSubmission))
            metrics.recordCommit(requests: requests.count)
            writeHealth.succeeded()
        })
        return { envelopes in try await committer.submit([store.prepare(envelopes)]) }
    }

    func receive(_ request: Request, context: IngestRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        let sourceName = context.parameters.get("source") ?? ""
        var outcome = "error"
        defer { metrics.request(source: sourceName, outcome: outcome, duration: ContinuousClock.now - started) }

        guard let endpoint = endpoints[sourceName] else {
            outcome = "unknown_source"
            throw JSONError(.notFound, "unknown source \"\(sourceName)\"")
        }
        guard request.method == .post || (request.method == .get && endpoint.acceptsGET) else {
            outcome = "method_not_allowed"
            throw JSONError(.methodNotAllowed, "\(request.method) is not accepted here; send POST",
                            headers: [.allow: endpoint.acceptsGET ? "GET, POST" : "POST"])
        }
        // Everything the head can refuse is refused before the body is read: a stranger's body then
        // takes no memory, and the connection closes rather than drain it.
        let remoteAddress = context.remoteAddress?.ipAddress
        if let failure = endpoint.authenticator.failureBeforeBody(of: request, remoteAddress: remoteAddress, now: clock.now) {
            outcome = "unauthorized"
            throw refusal(failure, source: sourceName, peer: remoteAddress)
        }
        if let declared = request.headers[.contentLength], let length = Int(declared), length > maxBodyBytes {
            outcome = "too_large"
            throw Self.tooLarge(maxBodyBytes)
        }
        if let expectation = request.headers[.expect] {
            guard expectation.lowercased() == "100-continue" else {
                outcome = "bad_request"
                throw JSONError(.expectationFailed, "Expect: \(expectation) is not supported; only 100-continue is")
            }
            try await context.sendContinue()
        }
        let body: ByteBuffer
        do {
            body = try await Self.body(of: request, upTo: maxBodyBytes)
        } catch let error as JSONError {
            outcome = "too_large"
            throw error
        }
        let webhook = WebhookRequest(request, body: body, urlType: context.parameters.get("type"), receivedAt: clock.now)
        if let failure = endpoint.authenticator.signatureFailure(of: webhook, now: webhook.receivedAt) {
            outcome = "unauthorized"
            throw refusal(failure, source: sourceName, peer: remoteAddress)
        }

        let envelopes: [EventEnvelope]
        do {
            envelopes = try endpoint.parser.parse(webhook, source: sourceName)
        } catch {
            let reason = "\(error)"
            do {
                _ = try await store.quarantine(QuarantinedDelivery(
                    source: sourceName, reason: reason, receivedAt: webhook.receivedAt, raw: webhook.rawRequest()))
            } catch {
                outcome = "store_failed"
                writeHealth.failed(error, at: clock.now)
                logger.error("could not quarantine webhook", metadata: ["source": "\(sourceName)", "reason": "\(reason)", "error": "\(error)"])
                throw JSONError(.serviceUnavailable, "could not store the delivery; retry later")
            }
            writeHealth.succeeded()
            outcome = "quarantined"
            logger.notice("quarantined webhook", metadata: ["source": "\(sourceName)", "reason": "\(reason)"])
            return JSONBody.response(["status": "quarantined", "reason": reason])
        }

        do {
            try await commit(envelopes)
        } catch {
            outcome = "store_failed"
            writeHealth.failed(error, at: clock.now)
            logger.error("could not store webhook", metadata: ["source": "\(sourceName)", "error": "\(error)"])
            throw JSONError(.serviceUnavailable, "could not store the delivery; retry later")
        }
        outcome = "accepted"
        return JSONBody.accepted(events: envelopes.count)
    }

    private func refusal(_ failure: String, source: String, peer: String?) -> JSONError {
        logger.warning("rejected webhook", metadata: ["source": "\(source)", "reason": "\(failure)", "peer": "\(peer ?? "?")"])
        return JSONError(.unauthorized, "not authenticated: \(failure)")
    }
}

extension WebhookReceiver {
    /// The request's body, or a JSON 413 naming the limit (`ingest.max_body_bytes`).
    static func body(of request: Request, upTo maxBodyBytes: Int) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw tooLarge(maxBodyBytes)
        }
    }

    static func tooLarge(_ maxBodyBytes: Int) -> JSONError {
        JSONError(.contentTooLarge, "request body is larger than \(maxBodyBytes) bytes (ingest.max_body_bytes)")
    }
}

extension WebhookRequest {
    /// The provider-neutral view of a Hummingbird request.
    init(_ request: Request, body: ByteBuffer, urlType: String?, receivedAt: Date) {
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters where query[String(name)] == nil {
            query[String(name)] = String(value)
        }
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
        }
        self.init(
            method: request.method.rawValue, path: request.uri.path, urlType: urlType, query: query,
            rawQuery: request.uri.query ?? "", headers: headers, body: Data(body.readableBytesView), receivedAt: receivedAt)
    }
}
