import Foundation
public import HTTPTypes
public import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

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

/// Turns every other error into a `JSONError`, so that no listener ever answers with another error
/// shape: Hummingbird's own (unknown route, body too large), the connection's (a body that came too
/// slowly, a malformed chunk), and anything unexpected, which is logged and answered 500.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as JSONError {
            throw error
        } catch {
            throw Self.jsonError(for: error, request: request, logger: context.logger)
        }
    }

    static func jsonError(for error: any Error, request: Request, logger: Logger) -> JSONError {
        switch error {
        case let error as HTTPError:
            let message: String = switch error.status {
            case .notFound: "no route \(request.method) \(request.uri.path)"
            case .contentTooLarge: "request body is larger than the configured limit"
            default: error.body ?? error.status.reasonPhrase
            }
            return JSONError(error.status, message, headers: error.headers)
        case is NIOTooManyBytesError:
            return JSONError(.contentTooLarge, "request body is larger than the configured limit")
        case let error as BodyTimeout:
            return JSONError(.requestTimeout, error.description)
        case let error as HTTPParserError:
            let answer = ConnectionGuard.answer(to: error)
            return JSONError(.init(code: Int(answer.status.code)), answer.message)
        default:
            logger.error("request failed", metadata: ["method": "\(request.method)", "path": "\(request.uri.path)", "error": "\(error)"])
            return JSONError(.internalServerError, "internal error; it is logged")
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
