public import Foundation

/// A port that was free a moment ago on 127.0.0.1 (the kernel's choice, released for a child to bind).
public func freeLoopbackPort() throws -> Int {
    let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
    }
    guard bound else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Polls `condition` every 25 ms until it holds; throws `WaitTimeout` (which names `what`) if it
/// does not within `timeout`. For tests that watch other processes, whose progress has no event to await.
/// The timeout guards against a hang; it is not a speed test, so it is generous: on a slow day this
/// machine starved the whole test process for 13 s, and a 10 s deadline failed six passing tests.
public func waitUntil(_ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(25))
    }
    throw WaitTimeout(what: what, timeout: timeout)
}

public struct WaitTimeout: Error, CustomStringConvertible {
    public var what: String
    public var timeout: Duration

    public var description: String { "timed out after \(timeout) waiting until \(what)" }
}
