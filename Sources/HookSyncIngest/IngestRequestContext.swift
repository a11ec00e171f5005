public import Hummingbird
public import NIOCore

/// The request context of HookSync's listeners: Hummingbird's core storage plus the peer's address,
/// which the per-source network allowlist needs.
public struct IngestRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
