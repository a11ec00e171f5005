public import AsyncHTTPClient
import Foundation
import HookSyncCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOHTTPCompression

/// Sends provider requests with AsyncHTTPClient: one client per source, so each source's timeouts
/// and connection pool are its own. Call `shutdown()` when done.
///
/// ```swift
/// let transport = AsyncHTTPTransport(connectTimeout: .seconds(5), readTimeout: .seconds(30))
/// let response = try await transport.send(APIRequest(url: "https://api.example.com/x/1"))
/// ```
public final class AsyncHTTPTransport: HTTPTransport {
    public let client: HTTPClient
    let readTimeout: Duration
    /// The most body bytes read from one answer; a larger one is a provider fault, not an entity.
    let maxBodyBytes: Int

    public init(connectTimeout: Duration, readTimeout: Duration, maxConnections: Int = 64, maxBodyBytes: Int = 16 << 20) {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = HTTPClient.Configuration.Timeout(
            connect: .nanoseconds(Int64(connectTimeout.timeInterval * 1e9)), read: .nanoseconds(Int64(readTimeout.timeInterval * 1e9)))
        configuration.decompression = .enabled(limit: .ratio(100))
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = maxConnections
        configuration.redirectConfiguration = .disallow
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.readTimeout = readTimeout
        self.maxBodyBytes = maxBodyBytes
    }

    public func send(_ request: APIRequest) async throws -> APIResponse {
        do {
            // The whole answer is gathered on the event loop and handed over once: the streaming API
            // resumed the caller for the head and again for the body, and each resumption waited its
            // turn for a busy cooperative pool (a worker makes hundreds of these calls a second).
            let outgoing = try HTTPClient.Request(
                url: request.url, method: HTTPMethod(rawValue: request.method),
                headers: HTTPHeaders(request.headers.map { ($0.key, $0.value) }), body: request.body.map { .bytes($0) })
            // The deadline bounds the whole exchange; the read timeout alone resets on every byte.
            let task = client.execute(
                request: outgoing, delegate: ResponseAccumulator(request: outgoing, maxBodySize: maxBodyBytes),
                // Called on an event loop (a listing, see `EventLoopTaskExecutor`): the exchange stays on it.
                eventLoop: EventLoopTaskExecutor.currentEventLoop.map { .delegateAndChannel(on: $0) } ?? .indifferent,
                deadline: .now() + .nanoseconds(Int64(readTimeout.timeInterval * 1e9)))
            let response = try await withTaskCancellationHandler { try await task.futureResult.get() } onCancel: { task.cancel() }
            var headers: [String: String] = [:]
            for header in response.headers { headers[header.name.lowercased()] = header.value }
            return APIResponse(status: Int(response.status.code), headers: headers, body: response.body.map { Data($0.readableBytesView) } ?? Data())
        } catch let error as ProviderAPIError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw ProviderAPIError.transient("\(Self.authority(request.url)): \(Self.describe(error))")
        }
    }

    public func shutdown() async throws {
        try await client.shutdown()
    }

    /// Host and port, so that "connection refused" says where; never the path or query.
    static func authority(_ url: String) -> String {
        guard let components = URLComponents(string: url), let host = components.host else { return "the provider" }
        return components.port.map { "\(host):\($0)" } ?? host
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout: return "timed out"
            case .connectTimeout: return "connect timed out"
            case .cancelled: return "cancelled"
            default: return "\(error)"
            }
        }
        // NIO's own text for a failed connect reads "connection reset (error set): Connection
        // refused) (errno: 111)"; the system's name for the errno is what a person looks up.
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        if let error = error as? NIOConnectionError, let first = error.connectionErrors.first {
            return describe(first.error)
        }
        return "\(error)"
    }
}
