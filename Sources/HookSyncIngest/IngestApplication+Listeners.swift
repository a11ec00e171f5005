import Foundation
import HookSyncConfig
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging

extension IngestApplication {
    /// The admin listener's connection cap: a few operators and scripts, never a crowd.
    static let adminMaxConnections = 32

    /// Where a listener binds, and how many connections it keeps open at once: past the cap it stops
    /// accepting, and further connections wait in the kernel's backlog until one closes.
    static func listenerConfiguration(_ listen: ListenAddress, serverName: String, maxConnections: Int, logger: Logger) -> ApplicationConfiguration {
        ApplicationConfiguration(
            address: .hostname(listen.host, port: listen.port), serverName: serverName,
            availableConnectionsDelegate: MaximumAvailableConnections(maxConnections, logger: logger))
    }

    /// Says so when a listener is reachable from beyond this host: a notice for ingest (often meant,
    /// behind a proxy or for senders on the internet), a warning for admin (its token is all that
    /// guards the queue).
    static func sayWhereListenersAreExposed(config: HookSyncConfiguration, logger: Logger) {
        if !isLoopback(config.ingest.listen.host) {
            logger.notice("ingest listens beyond this host; only its tokens, signatures and allow_cidrs keep strangers out",
                          metadata: ["listen": "\(config.ingest.listen)"])
        }
        if config.admin.token != nil, !isLoopback(config.admin.listen.host) {
            logger.warning("the admin listener listens beyond this host; prefer a loopback address (admin.listen) and a tunnel",
                           metadata: ["listen": "\(config.admin.listen)"])
        }
    }

    /// Whether a host to listen on is this machine's loopback only: `localhost`, 127.0.0.0/8 or ::1.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { $0.elementsEqual([UInt8](repeating: 0, count: 15) + [1]) }
        }
        return false
    }
}

extension HTTPRequest.Method {
    /// The methods of RFC 9110, each routed on HookSync's paths so that a wrong one gets 405, not 404.
    static let standard: [HTTPRequest.Method] = [.get, .head, .post, .put, .delete, .connect, .options, .trace, .patch]
}

extension Router {
    /// Answers the methods `allowed` does not name with 405 and an `Allow` header, rather than
    /// Hummingbird's 404. HEAD goes with GET (Hummingbird answers it from the GET route).
    func refuseOtherMethods(at path: RouterPath, allowing allowed: [HTTPRequest.Method]) {
        let allowedWithHead = allowed.contains(.get) ? allowed + [.head] : allowed
        let allow = allowedWithHead.map(\.rawValue).joined(separator: ", ")
        for method in HTTPRequest.Method.standard where !allowedWithHead.contains(method) {
            on(path, method: method) { request, _ -> Response in
                throw JSONError(.methodNotAllowed, "\(request.method) is not accepted here; use \(allow)", headers: [.allow: allow])
            }
        }
    }
}
