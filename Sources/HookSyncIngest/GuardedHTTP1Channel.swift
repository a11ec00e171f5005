import HookSyncConfig
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 channel with a `ConnectionGuard` in its pipeline: header, body and idle
/// deadlines, connections closed when HTTP says so, and the parser's errors answered as JSON.
///
/// ```swift
/// Application(router: router, server: .guardedHTTP1(IngestConnectionLimits(config.ingest)), …)
/// ```
struct GuardedHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let limits: IngestConnectionLimits

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            var decoderLimits = NIOHTTPDecoderLimitConfiguration()
            decoderLimits.maxHeaderFieldSize = 80 * 1024
            decoderLimits.maxHeaderListSize = 80 * 1024
            decoderLimits.maxHeaderFieldCount = 1_000
            let pipeline = channel.pipeline.syncOperations
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(), withDecoderLimitConfiguration: decoderLimits)
            let connectionGuard = ConnectionGuard(timeouts: limits.timeouts, logger: logger)
            try pipeline.addHandler(ConnectionGuard.ByteWatcher(connectionGuard), position: .first)
            try pipeline.addHandler(connectionGuard)
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            // Kept for graceful shutdown: it closes idle connections and ends busy ones after their answer.
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}

/// A listener's connection limits: `ingest.header_timeout`, `body_timeout`, `idle_timeout` and `max_connections`.
struct IngestConnectionLimits: Sendable {
    var timeouts: ConnectionGuard.Timeouts
    var maxConnections: Int

    init(_ options: IngestOptions) {
        timeouts = .init(header: TimeAmount(options.headerTimeout), body: TimeAmount(options.bodyTimeout), idle: TimeAmount(options.idleTimeout))
        maxConnections = options.maxConnections
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 through `GuardedHTTP1Channel`.
    static func guardedHTTP1(_ limits: IngestConnectionLimits) -> HTTPServerBuilder {
        .init { responder in GuardedHTTP1Channel(responder: responder, limits: limits) }
    }
}
