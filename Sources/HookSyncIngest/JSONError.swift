import Foundation
public import HTTPTypes
public import Hummingbird

/// An HTTP error answered as `{"error": "…"}`, the one error shape of every HookSync listener.
public struct JSONError: HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status.code) \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: JSONBody.object(["error": message]))))
    }
}

/// Turns Hummingbird's own errors (unknown route, body too large) into `JSONError`s, so that no
/// listener ever answers with another error shape.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as JSONError {
            throw error
        } catch let error as HTTPError {
            let message: String = switch error.status {
            case .notFound: "no route \(request.method) \(request.uri.path)"
            case .contentTooLarge: "request body is larger than the configured limit"
            default: error.body ?? error.status.reasonPhrase
            }
            throw JSONError(error.status, message, headers: error.headers)
        }
    }
}

/// Small JSON documents written without a Codable round trip.
enum JSONBody {
    static func object(_ fields: [String: any Sendable]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The answer to every stored delivery, written directly: it is on the hot path, and its only
    /// variable part is a number.
    static func accepted(events: Int) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(string: #"{"events":\#(events),"status":"accepted"}"#)))
    }

    static func response(_ fields: [String: any Sendable], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(string: object(fields))))
    }
}
