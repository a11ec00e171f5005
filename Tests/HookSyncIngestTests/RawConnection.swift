import Foundation

/// A TCP connection to a loopback port that sends exactly the bytes it is given, for requests no
/// HTTP client would send: partial heads, dripping bodies, HTTP/1.0, raw UTF-8 in the request line.
///
/// Reads poll a non-blocking socket and sleep between polls, so that a waiting test holds none of
/// the concurrency pool's few threads.
final class RawConnection: @unchecked Sendable {
    // @unchecked: each connection is used by one test task at a time; `descriptor` never changes.
    let descriptor: Int32
    private(set) var received = Data()
    private(set) var isClosedByPeer = false

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECONNREFUSED)
        }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    deinit { close(descriptor) }

    /// Ends the connection in both directions, as a client that goes away.
    func hangUp() {
        shutdown(descriptor, Int32(SHUT_RDWR))
    }

    /// Sends all of `bytes`; false if the peer has closed (or reset) the connection.
    @discardableResult
    func send(_ bytes: Data) async -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { buffer in
                Foundation.send(descriptor, buffer.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                offset += sent
            } else if sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                try? await Task.sleep(for: .milliseconds(5))
            } else {
                return false
            }
        }
        return true
    }

    @discardableResult
    func send(_ text: String) async -> Bool { await send(Data(text.utf8)) }

    /// Reads what has arrived, without waiting.
    private func drain() {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count > 0 {
                received.append(contentsOf: buffer[0..<count])
            } else if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) {
                isClosedByPeer = true
                return
            } else {
                return
            }
        }
    }

    /// Waits until `condition` holds for what was received (and whether the peer closed), or `timeout` passes.
    @discardableResult
    func wait(for timeout: Duration, until condition: (Data, Bool) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            drain()
            if condition(received, isClosedByPeer) { return true }
            if ContinuousClock.now >= deadline || isClosedByPeer { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits for the peer to close, up to `timeout`; true if it did.
    func waitForClose(within timeout: Duration) async -> Bool {
        await wait(for: timeout) { _, closed in closed }
        return isClosedByPeer
    }

    /// The first complete response received: status, headers (lowercased names) and body, if one has
    /// fully arrived within `timeout`.
    func response(within timeout: Duration) async -> RawResponse? {
        var parsed: RawResponse?
        await wait(for: timeout) { data, _ in
            parsed = RawResponse(parsing: data)
            return parsed != nil
        }
        return parsed
    }

    var text: String { String(decoding: received, as: UTF8.self) }
}

/// One HTTP/1.1 response parsed from raw bytes (Content-Length bodies only, which is all HookSync sends).
struct RawResponse {
    var status: Int
    var headers: [String: String]
    var body: String
    /// Bytes after this response: a further response on the same connection.
    var rest: Data

    init?(parsing data: Data) {
        guard let end = data.firstRange(of: Data("\r\n\r\n".utf8)) else { return nil }
        let lines = String(decoding: data[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        guard let statusLine = lines.first, let code = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = (100..<200).contains(code) ? 0 : Int(headers["content-length"] ?? "0") ?? 0
        let bodyStart = end.upperBound
        guard data.count - bodyStart >= length else { return nil }
        status = code
        self.headers = headers
        body = String(decoding: data[bodyStart..<bodyStart + length], as: UTF8.self)
        rest = Data(data[(bodyStart + length)...])
    }

    var error: String? {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))).flatMap { $0 as? [String: Any] }?["error"] as? String
    }
}
