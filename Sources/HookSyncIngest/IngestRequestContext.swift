public import Hummingbird
public import NIOCore
import HTTPTypes
import NIOHTTPTypes

/// The request context of HookSync's listeners: Hummingbird's core storage plus the peer's address,
/// which the per-source network allowlist needs, and the channel, for `100 Continue`.
public struct IngestRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }

    /// Tells a sender that sent `Expect: 100-continue` to send its body: once its head has passed
    /// every check, so that a refused sender never sends it.
    func sendContinue() async throws {
        try await channel.writeAndFlush(HTTPResponsePart.head(HTTPResponse(status: .continue)))
    }
}
