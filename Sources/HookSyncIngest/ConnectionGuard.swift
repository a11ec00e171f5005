import Logging
import NIOCore
import NIOHTTP1

/// The deadlines and the framing decisions of one connection of a listener, where the HTTP/1 version
/// and the parser's errors are still visible (before Hummingbird's conversion to HTTP types).
///
/// - A connection has `header` to send a whole request head, from its opening or from the first
///   byte of a later request; then it gets 408 (if it sent anything) and is closed.
/// - A request has `body`, in total, from the end of its head to the end of its body, so a body that
///   drips a byte at a time cannot hold the connection; the request then reads an error that the
///   router answers with 408, and the connection closes.
/// - A kept-alive connection waits `idle` for its next request, then closes.
/// - A response ends the connection when its request was not keep-alive (HTTP/1.0 without
///   `Connection: keep-alive`, or `Connection: close`), or when it is answered before its body was
///   read (a refused token, a declared length over the limit). The unread rest is not drained into
///   the request: the connection lingers for up to `linger`, reading and dropping, then closes.
/// - A parse error between requests is answered here, as `{"error": …}` with 400 or 431; one inside a
///   request goes to the request, whose body read then fails and the router answers it.
///
/// While a request is being answered no deadline runs: the answer's own wait is bounded by the
/// store's busy timeout.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    struct Timeouts: Sendable {
        var header: TimeAmount
        var body: TimeAmount
        var idle: TimeAmount
    }

    enum Phase {
        /// Between requests; `started` once a byte of the next one arrived.
        case awaitingHead(started: Bool)
        case readingBody
        case answering
        /// Ending: the connection closes after the answer in flight, if any.
        case closing
    }

    private let timeouts: Timeouts
    private let logger: Logger
    private var phase = Phase.awaitingHead(started: false)
    /// Keep-alive of the requests read but not yet answered, oldest first (HTTP/1.1 pipelining).
    private var keepAlive = CircularBuffer<Bool>(initialCapacity: 2)
    private var requestsSeen = 0
    private var closeAfterResponse = false
    /// The answer in flight came before its request's body was read: after it, the connection lingers.
    private var answeredEarly = false
    /// A parse error that arrived while a request was being answered: answered after it.
    private var pendingParseError: HTTPParserError?
    /// When the current phase's deadline passes; `nil` while none runs.
    private var deadline: NIODeadline?
    /// The one timer of the connection, and when it fires. It may fire before `deadline` (which then
    /// only reschedules it), never after: arming a later deadline leaves it alone, so that a request
    /// on a kept-alive connection costs about one timer, not one per phase.
    private var timer: (task: Scheduled<Void>, firesAt: NIODeadline)?
    /// This handler's own context, for deadlines armed on `ByteWatcher`'s behalf.
    private var context: ChannelHandlerContext?

    init(timeouts: Timeouts, logger: Logger) {
        self.timeouts = timeouts
        self.logger = logger
    }

    // MARK: Connection

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { arm(timeouts.header, context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(timeouts.header, context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopTimer()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopTimer()
        context.fireChannelInactive()
    }

    /// Called by `ByteWatcher`, before the HTTP decoder, whenever bytes arrive.
    func bytesArrived() {
        guard case .awaitingHead(started: false) = phase, let context else { return }
        phase = .awaitingHead(started: true)
        // A new connection's head deadline runs from its opening; a later request's from its first byte.
        if requestsSeen > 0 { arm(timeouts.header, context: context) }
    }

    // MARK: Requests

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Once the connection is ending, what it still sends is read by no one: dropped, not buffered.
        if case .closing = phase { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            requestsSeen += 1
            keepAlive.append(head.isKeepAlive)
            phase = .readingBody
            arm(timeouts.body, context: context)
        case .body:
            break
        case .end:
            if case .readingBody = phase {
                phase = .answering
                disarm()
            }
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        switch phase {
        case .readingBody:
            // The request being read gets it through its body, and its answer closes the connection.
            phase = .closing
            context.fireErrorCaught(error)
        case .closing where keepAlive.isEmpty:
            break
        case .awaitingHead, .answering, .closing:
            if keepAlive.isEmpty {
                answerAndClose(Self.answer(to: parseError), context: context)
            } else {
                // Answered once the request in flight is.
                pendingParseError = parseError
                phase = .closing
            }
        }
    }

    // MARK: Responses

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.code >= 200:
            let answeringTheRequestBeingRead = keepAlive.count == 1 && { if case .readingBody = phase { true } else { false } }()
            let closing = { if case .closing = phase { true } else { false } }()
            if !(keepAlive.first ?? true) || answeringTheRequestBeingRead || closing {
                closeAfterResponse = true
                head.headers.replaceOrAdd(name: "connection", value: "close")
                if answeringTheRequestBeingRead {
                    // Answered before its body was read: the rest of it is dropped, never drained.
                    phase = .closing
                    answeredEarly = true
                    disarm()
                }
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .head, .body:
            context.write(data, promise: promise)
        case .end:
            if !keepAlive.isEmpty { keepAlive.removeFirst() }
            if closeAfterResponse || (pendingParseError != nil && keepAlive.isEmpty) {
                let parseError = pendingParseError
                if let parseError {
                    context.write(data, promise: promise)
                    answerAndClose(Self.answer(to: parseError), context: context)
                } else {
                    // Closed once written: a close would drop what is still queued.
                    phase = .closing
                    disarm()
                    let written = context.eventLoop.makePromise(of: Void.self)
                    written.futureResult.cascade(to: promise)
                    context.writeAndFlush(data, promise: written)
                    let linger = answeredEarly
                    written.futureResult.assumeIsolated().whenComplete { _ in
                        guard linger else { return context.close(promise: nil) }
                        // A lingering close, as web servers do: closing with the sender's body
                        // unread would reset the connection, and a sender still writing it would
                        // see the reset, not the answer. So the output ends here, what still
                        // arrives is read and dropped, and the connection closes when the sender
                        // does or after `Self.linger`.
                        context.close(mode: .output, promise: nil)
                        self.arm(Self.linger, context: context)
                    }
                }
                return
            }
            context.write(data, promise: promise)
            if keepAlive.isEmpty, case .answering = phase {
                phase = .awaitingHead(started: false)
                arm(timeouts.idle, context: context)
            }
        }
    }

    // MARK: Deadlines

    private func arm(_ timeout: TimeAmount, context: ChannelHandlerContext) {
        let at = NIODeadline.now() + timeout
        deadline = at
        if let timer, timer.firesAt <= at { return }
        startTimer(at: at, context: context)
    }

    private func disarm() {
        deadline = nil
    }

    private func startTimer(at: NIODeadline, context: ChannelHandlerContext) {
        timer?.task.cancel()
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: at) {
            self.timerFired(context: context)
        }
        timer = (task, at)
    }

    private func stopTimer() {
        timer?.task.cancel()
        timer = nil
        deadline = nil
    }

    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        guard let deadline else { return }
        if deadline > .now() {
            startTimer(at: deadline, context: context)
            return
        }
        self.deadline = nil
        switch phase {
        case .awaitingHead(started: false):
            context.close(promise: nil)
        case .awaitingHead(started: true):
            logger.debug("request head not received in time", metadata: ["peer": "\(context.remoteAddress?.description ?? "?")"])
            answerAndClose(
                (.requestTimeout, "the request head did not arrive within \(Self.describe(timeouts.header)) (ingest.header_timeout)"),
                context: context)
        case .readingBody:
            logger.debug("request body not received in time", metadata: ["peer": "\(context.remoteAddress?.description ?? "?")"])
            // The request's body read fails with this; its answer (408) closes the connection.
            phase = .closing
            context.fireErrorCaught(BodyTimeout(limit: timeouts.body))
            // If nothing answers, close anyway.
            arm(.seconds(5), context: context)
        case .answering:
            break
        case .closing:
            context.close(promise: nil)
        }
    }

    // MARK: Answers written here

    private func answerAndClose(_ answer: (status: HTTPResponseStatus, message: String), context: ChannelHandlerContext) {
        phase = .closing
        disarm()
        let body = context.channel.allocator.buffer(string: JSONBody.object(["error": answer.message]))
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(body.readableBytes))
        headers.add(name: "connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: answer.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    static func answer(to error: HTTPParserError) -> (status: HTTPResponseStatus, message: String) {
        switch error {
        case .headerOverflow:
            (.requestHeaderFieldsTooLarge, "the request line or headers are too large (at most 80 KB, 1,000 fields)")
        case .invalidCharactersUsed:
            (.badRequest, "the request line or a header holds a character HTTP does not allow (percent-encode non-ASCII)")
        default:
            (.badRequest, "malformed HTTP request: \(error)")
        }
    }

    /// How long a connection answered before its body was read keeps reading (and dropping) it.
    static let linger = TimeAmount.seconds(2)

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .closing = phase, let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    static func describe(_ amount: TimeAmount) -> String {
        let milliseconds = amount.nanoseconds / 1_000_000
        return milliseconds % 1_000 == 0 ? "\(milliseconds / 1_000)s" : "\(milliseconds)ms"
    }

    /// Sits before the HTTP decoder and tells the guard when bytes arrive, which the decoder's parts
    /// do not show until a head is complete.
    final class ByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        let guardHandler: ConnectionGuard

        init(_ guardHandler: ConnectionGuard) {
            self.guardHandler = guardHandler
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guardHandler.bytesArrived()
            context.fireChannelRead(data)
        }
    }
}

/// What a request's body read throws when its body did not arrive within `ingest.body_timeout`.
struct BodyTimeout: Error, CustomStringConvertible {
    var limit: TimeAmount
    var description: String { "the request body did not arrive within \(ConnectionGuard.describe(limit)) (ingest.body_timeout)" }
}

@available(*, unavailable)
extension ConnectionGuard: Sendable {}
