import Foundation
public import HookSyncConfig
public import HookSyncCore
public import Hummingbird
import HookSyncApp
import Prometheus
public import Logging

/// Builds HookSync's two listeners from a configuration.
///
/// ```swift
/// let listeners = IngestApplication(config: config, store: store, logger: logger)
/// let group = ServiceGroup(services: [listeners.ingest, listeners.admin].compactMap { $0 }, …)
/// ```
public struct IngestApplication {
    /// `/hooks/…`, `/healthz`, `/readyz`, `/metrics` on `ingest.listen`.
    public let ingest: Application<RouterResponder<IngestRequestContext>>
    /// `/admin/…` on `admin.listen`, if `admin.token` is set.
    public let admin: Application<RouterResponder<IngestRequestContext>>?
    public let metrics: IngestMetrics

    /// `benchmarkBaseline` adds `POST /bench/noop`, which reads the body within `ingest.max_body_bytes`
    /// and answers as a stored delivery is answered, storing nothing: the HTTP work of a webhook
    /// without HookSync's, which `scripts/bench-ingest` compares durable ingest with.
    public init(
        config: HookSyncConfiguration, store: any QueueStore, clock: any WallClock = SystemWallClock(), logger: Logger,
        benchmarkBaseline: Bool = false, onIngestRunning: (@Sendable (Int) async -> Void)? = nil
    ) {
        metrics = IngestMetrics(sources: config.sources.map(\.name))
        Self.sayWhereListenersAreExposed(config: config, logger: logger)
        let receiver = WebhookReceiver(
            config: config, store: store, metrics: metrics, writeHealth: WriteHealth(), clock: clock, logger: logger)
        let router = Self.ingestRouter(receiver: receiver, store: store, metrics: metrics)
        if benchmarkBaseline {
            let maxBodyBytes = config.ingest.maxBodyBytes
            router.post("/bench/noop") { request, _ in
                _ = try await WebhookReceiver.body(of: request, upTo: maxBodyBytes)
                return JSONBody.accepted(events: 1)
            }
        }
        let limits = IngestConnectionLimits(config.ingest)
        ingest = Application(
            router: router,
            server: .guardedHTTP1(limits),
            configuration: Self.listenerConfiguration(config.ingest.listen, serverName: "hooksync", maxConnections: limits.maxConnections, logger: logger),
            onServerRunning: { channel in await onIngestRunning?(channel.localAddress?.port ?? 0) },
            logger: logger)
        admin = config.admin.token.map { token in
            Application(
                router: Self.adminRouter(token: token, store: store, config: config, clock: clock),
                server: .guardedHTTP1(limits),
                configuration: Self.listenerConfiguration(
                    config.admin.listen, serverName: "hooksync-admin", maxConnections: Self.adminMaxConnections, logger: logger),
                logger: logger)
        }
    }

    static func ingestRouter(receiver: WebhookReceiver, store: any QueueStore, metrics: IngestMetrics) -> Router<IngestRequestContext> {
        let router = Router(context: IngestRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: JSONErrorMiddleware())
        router.get("/healthz") { _, _ in JSONBody.response(["status": "up"]) }
        router.get("/readyz") { _, _ in
            // Deliveries that failed to store say more than a probe that writes nothing (see WriteHealth).
            if let failure = receiver.writeHealth.recentFailure(at: receiver.clock.now) {
                throw JSONError(.serviceUnavailable, "the last write failed at \(failure.at): \(failure.error)")
            }
            do {
                try await store.checkWritable()
                return JSONBody.response(["status": "ready"])
            } catch {
                throw JSONError(.serviceUnavailable, "database is not writable: \(error)")
            }
        }
        let gauges = QueueGauges(store: store, metrics: metrics)
        router.get("/metrics") { _, _ in
            await gauges.scraped()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
        }
        // Every method is routed, so that a wrong one gets a 405 naming the right one, not a 404.
        for path in ["/hooks/:source", "/hooks/:source/:type"] {
            for method in HTTPRequest.Method.standard {
                router.on(RouterPath(path), method: method) { request, context in
                    try await receiver.receive(request, context: context)
                }
            }
        }
        for path in ["/healthz", "/readyz", "/metrics"] {
            router.refuseOtherMethods(at: RouterPath(path), allowing: [.get])
        }
        return router
    }

    static func adminRouter(token: Secret, store: any QueueStore, config: HookSyncConfiguration, clock: any WallClock) -> Router<IngestRequestContext> {
        let router = Router(context: IngestRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: JSONErrorMiddleware())
        router.add(middleware: BearerTokenMiddleware(token: token))
        router.get("/admin/status") { _, _ in
            let document = try StatusReport.json(try await store.status())
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: document)))
        }
        router.refuseOtherMethods(at: "/admin/status", allowing: [.get])
        router.refuseOtherMethods(at: "/admin/resync", allowing: [.post])
        // Recorded, not run here: the listener stays thin, and the pass runs under the reconcile
        // lock in whichever process takes the request (the worker within seconds, or the next
        // `hooksync reconcile`).
        router.post("/admin/resync") { request, context in
            let body = try await request.body.collect(upTo: 64 * 1024)
            let resync = try ResyncRequestBody.validated(Data(body.readableBytesView), config: config)
            let id = try await store.requestResync(resync, now: clock.now)
            return JSONBody.response(["status": "accepted", "request_id": id], status: .accepted)
        }
        return router
    }
}

/// Requires `Authorization: Bearer <admin.token>` on every route it guards.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: SecretDigest

    init(token: Secret) {
        self.token = SecretDigest(token.value)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer "),
              token.matches(String(header.dropFirst("bearer ".count)))
        else { throw JSONError(.unauthorized, "admin routes need Authorization: Bearer <admin.token>", headers: [.wwwAuthenticate: "Bearer"]) }
        return try await next(request, context)
    }
}
