public import Hummingbird
public import Logging
import NIOCore
import Synchronization

extension ProviderSimulator {
    /// A Hummingbird application serving every simulated provider under its path prefix
    /// (`SimulatedProvider.pathPrefix`) plus SoftLedger's token endpoint at `/softledger/oauth/token`.
    ///
    /// Port 0 binds an ephemeral port; `onServerRunning` receives the bound one. Run it as a service
    /// (`runService()`, or inside a `ServiceGroup`) or through HummingbirdTesting.
    public func application(
        host: String = "127.0.0.1",
        port: Int = 0,
        logger: Logger? = nil,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router(context: SimulatorRequestContext.self)
        for provider in SimulatedProvider.allCases {
            let wire = wires[provider]!
            router.get(RouterPath(provider.pathPrefix + "/**")) { request, context in
                await self.serve(wire, request, context).response
            }
        }
        router.post(RouterPath(SoftLedgerWire.tokenPath)) { request, _ in
            await self.serveToken(request).response
        }
        addControlRoutes(to: router)
        if port != 0 { recordOrigin(host: host, port: port) }
        return Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "hooksync-sim"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                self.recordOrigin(host: channel.localAddress?.ipAddress ?? host, port: bound)
                await onServerRunning(bound)
            },
            logger: logger)
    }

    /// Remembers where the server listens, for the self-links of the objects it serves. An unspecified
    /// bind address (0.0.0.0, ::) is written as loopback, the address that reaches it from here.
    private func recordOrigin(host: String, port: Int) {
        let reachable = ["0.0.0.0", "::", "[::]"].contains(host) ? "127.0.0.1" : host
        let written = reachable.contains(":") && !reachable.hasPrefix("[") ? "[\(reachable)]" : reachable
        state.withLock { $0.origin = "http://\(written):\(port)" }
    }
}

/// The request context of the simulator's router: Hummingbird's basics plus the connection, so a
/// simulated timeout can end when the client hangs up.
struct SimulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        channel = source.channel
    }
}

extension WireResponse {
    var response: Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.bytes)))
    }
}
