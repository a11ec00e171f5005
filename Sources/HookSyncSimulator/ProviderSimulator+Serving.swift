import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// The request pipeline every simulated provider shares. For an entity fetch: count it and track it
/// as in flight, then credentials → the request's own validity → rate limit → forced status →
/// failNext → failure/timeout draw → latency → the answer. Listings take the same path without
/// failNext.
extension ProviderSimulator {
    func serve(_ wire: any ProviderWire, _ request: Request, _ context: SimulatorRequestContext) async -> WireResponse {
        let provider = wire.provider
        state.withLock { $0.requests[provider, default: Gauge()].enter() }
        defer { state.withLock { $0.requests[provider]?.leave() } }

        let segments = Self.segments(of: request.uri.path, below: provider.pathPrefix)
        switch wire.route(segments) {
        case .entity(let typeSegment, let address):
            let ref = state.withLock { state in
                let type = wire.canonicalType(typeSegment, among: state.types(of: provider))
                let ref = EntityRef(provider: provider, type: type, id: state.id(addressedBy: address, TypeKey(provider: provider, type: type)))
                state.fetches[ref, default: Gauge()].enter()
                return ref
            }
            defer { state.withLock { $0.fetches[ref]?.leave() } }
            if let refusal = await admit(wire, request, context, isEntityFetch: true) { return refusal }
            let (record, origin) = state.withLock { ($0.record(ref), $0.origin) }
            guard let record, !record.deleted else { return .error(.notFound, "not found") }
            return WireResponse(status: .ok, body: wire.render(record.entity(type: ref.type, id: ref.id), origin: origin ?? Self.unboundOrigin))

        case .listing(let typeSegment):
            if let refusal = await admit(wire, request, context, isEntityFetch: false) { return refusal }
            let (type, rows, origin, pageSize) = state.withLock { state in
                let type = wire.canonicalType(typeSegment, among: state.types(of: provider))
                return (type, state.liveEntities(TypeKey(provider: provider, type: type)), state.origin, state.cursorPageSize)
            }
            // Sorted outside the lock: a large listing should not stall every other request.
            let sorted = rows.sorted { EntityOrder.precedes(($0.updatedAt, $0.id), ($1.updatedAt, $1.id)) }
            let listing = ListingRequest(
                type: type, parameters: Self.parameters(of: request), requestOrigin: requestOrigin(request),
                path: request.uri.path, cursorPageSize: pageSize)
            do throws(WireError) {
                return WireResponse(status: .ok, body: try wire.listing(sorted, listing, origin: origin ?? Self.unboundOrigin))
            } catch {
                return .error(.badRequest, error.message)
            }

        case nil:
            if let refusal = wire.credentialsRefusal(request.headers) { return .error(.unauthorized, refusal) }
            return .error(.notFound, "no such resource: \(request.uri.path)")
        }
    }

    /// SoftLedger's token endpoint: a separate service upstream, so only a forced status applies to it.
    func serveToken(_ request: Request) async -> WireResponse {
        state.withLock { $0.requests[.softledger, default: Gauge()].enter() }
        defer { state.withLock { $0.requests[.softledger]?.leave() } }
        softLedgerTokens.countRequest()
        if let status = state.withLock({ $0.faults[.softledger]?.forcedStatus }) {
            return .error(HTTPResponse.Status(code: status), "simulated status \(status)")
        }
        guard let body = try? await request.body.collect(upTo: 64 * 1024) else {
            return .error(.contentTooLarge, "the token request is too large")
        }
        return softLedgerWire.tokenResponse(body: Array(body.readableBytesView))
    }

    /// Runs a request through credentials and the provider's faults; `nil` means answer it.
    private func admit(_ wire: any ProviderWire, _ request: Request, _ context: SimulatorRequestContext, isEntityFetch: Bool) async -> WireResponse? {
        if let refusal = wire.credentialsRefusal(request.headers) { return .error(.unauthorized, refusal) }
        if let refusal = wire.requestRefusal(request.headers) { return refusal }
        let at = Self.milliseconds(now())
        switch state.withLock({ $0.decide(wire.provider, isEntityFetch: isEntityFetch, now: at) }) {
        case .rateLimited(let wait):
            return wire.rateLimited(wait)
        case .forced(429, let wait):
            return wire.rateLimited(wait)
        case .forced(let status, _):
            return .error(HTTPResponse.Status(code: status), "simulated status \(status)")
        case .unavailable:
            return .error(.serviceUnavailable, "simulated failure")
        case .hang(let duration):
            await Self.hang(for: duration, unlessClosed: context.channel)
            return .error(.gatewayTimeout, "simulated timeout")
        case .proceed(let latency):
            if latency > .zero { try? await Task.sleep(for: latency) }
            return nil
        }
    }

    /// Waits `duration`, or less if the client hangs up: a hung request must not hold the server's
    /// shutdown for its whole length once nobody waits for the answer. Callbacks rather than polling,
    /// because a chaos run can leave thousands of requests hanging at once.
    private static func hang(for duration: Duration, unlessClosed channel: any Channel) async {
        // A channel that was never active (HummingbirdTesting's router mode) says nothing about the client.
        let hangUp: EventLoopFuture<Void>? = channel.isActive ? try? await HangUpWatcher.install(on: channel).get() : nil
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resume = ResumeOnce(continuation)
            hangUp?.whenComplete { _ in resume() }
            Task {
                try? await Task.sleep(for: duration)
                resume()
            }
        }
        if hangUp != nil { HangUpWatcher.remove(from: channel) }
    }

    /// `http://` and the Host the client addressed, so that paging links lead back the way it came.
    private func requestOrigin(_ request: Request) -> String {
        if let authority = request.head.authority, !authority.isEmpty { return "http://\(authority)" }
        return serverOrigin ?? Self.unboundOrigin
    }

    /// The path's segments after `prefix`, percent-decoded.
    static func segments(of path: String, below prefix: String) -> [String] {
        path.dropFirst(prefix.count).split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
    }

    /// Query parameters, percent-decoded by Hummingbird; a repeated name keeps its last value.
    static func parameters(of request: Request) -> [String: String] {
        var parameters: [String: String] = [:]
        for (name, value) in request.uri.queryParameters {
            parameters[String(name)] = String(value)
        }
        return parameters
    }
}

/// Resumes a continuation on the first call only; the timer and the connection's close race to it.
private final class ResumeOnce: Sendable {
    private let continuation: Mutex<CheckedContinuation<Void, Never>?>

    init(_ continuation: CheckedContinuation<Void, Never>) {
        self.continuation = Mutex(continuation)
    }

    func callAsFunction() {
        continuation.withLock { $0.take() }?.resume()
    }
}

/// Tells when the client closes its side of the connection during a simulated timeout.
///
/// Hummingbird allows half-closed connections, so a client that gives up on a request does not close
/// the channel: the only sign is an `inputClosed` event, which this handler (first in the pipeline,
/// installed only while a request hangs) turns into a future.
private final class HangUpWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private static let name = "hooksync-sim.hang-up-watcher"
    private let hungUp: EventLoopPromise<Void>

    private init(_ hungUp: EventLoopPromise<Void>) {
        self.hungUp = hungUp
    }

    /// Adds a watcher to the channel; the future completes when the client hangs up or the watcher is removed.
    static func install(on channel: any Channel) -> EventLoopFuture<EventLoopFuture<Void>> {
        channel.eventLoop.submit {
            let watcher = HangUpWatcher(channel.eventLoop.makePromise())
            try channel.pipeline.syncOperations.addHandler(watcher, name: name, position: .first)
            return watcher.hungUp.futureResult
        }
    }

    static func remove(from channel: any Channel) {
        channel.pipeline.removeHandler(name: name, promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { hungUp.succeed() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        hungUp.succeed()
        context.fireChannelInactive()
    }

    // Completing the promise here too means it is never dropped unfulfilled, whichever way the watcher goes.
    func handlerRemoved(context: ChannelHandlerContext) {
        hungUp.succeed()
    }
}
