public import Hummingbird

/// Serves an application on an ephemeral port of 127.0.0.1 while `body` runs, then stops it.
/// `makeApplication` is handed the callback its `onServerRunning` must call with the bound port.
///
/// ```swift
/// try await withLoopbackServer({ bound in simulator.application(onServerRunning: bound) }) { port in … }
/// ```
public func withLoopbackServer<App: ApplicationProtocol, Result>(
    _ makeApplication: (@escaping @Sendable (Int) async -> Void) -> App, _ body: (Int) async throws -> Result
) async throws -> Result {
    let bound = AsyncStream.makeStream(of: Int.self)
    let application = makeApplication { port in bound.continuation.yield(port) }
    let serving = Task { try await application.runService() }
    defer { serving.cancel() }
    var ports = bound.stream.makeAsyncIterator()
    guard let port = await ports.next(), port > 0 else { throw LoopbackServerError.notBound }
    return try await body(port)
}

/// A plain router served the same way: for a stand-in provider or downstream in a test.
public func withLoopbackServer<Context: RequestContext, Result>(
    _ router: Router<Context>, _ body: (Int) async throws -> Result
) async throws -> Result where Context.Source == ApplicationRequestContextSource {
    try await withLoopbackServer({ bound in
        Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                    onServerRunning: { channel in await bound(channel.localAddress?.port ?? 0) })
    }, body)
}

public enum LoopbackServerError: Error {
    case notBound
}
