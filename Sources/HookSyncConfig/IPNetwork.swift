import Foundation

/// An address range in CIDR notation (`10.0.0.0/8`, `::1/128`), for a source's `allow_cidrs`.
///
/// The one parser of such ranges: the config loader refuses any entry it cannot parse, so ingest
/// never runs with fewer ranges than the file lists (an allowlist that silently shrank to nothing
/// would let every address in).
///
/// ```swift
/// let office = IPNetwork("10.0.0.0/8")!
/// office.contains("10.200.3.4")   // true
/// ```
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    let prefixBytes: [UInt8]
    let prefixLength: Int
    /// The range as the configuration wrote it.
    public let description: String

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[1].isEmpty, parts[1].count <= 3, parts[1].allSatisfy(\.isASCIIDigit),
              let length = Int(parts[1]), let bytes = IPNetwork.bytes(of: String(parts[0])),
              (0...bytes.count * 8).contains(length)
        else { return nil }
        prefixBytes = bytes
        prefixLength = length
        description = text
    }

    /// Whether the textual address lies in the range. An IPv4 address given in IPv6 form
    /// (`::ffff:10.1.2.3`) matches IPv4 ranges.
    public func contains(_ address: String) -> Bool {
        guard var bytes = IPNetwork.bytes(of: address) else { return false }
        if bytes.count == 16 && prefixBytes.count == 4 && bytes[0..<12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] {
            bytes = Array(bytes[12...])
        }
        guard bytes.count == prefixBytes.count else { return false }
        var remaining = prefixLength
        for index in bytes.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if bytes[index] & mask != prefixBytes[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// The address's bytes (4 or 16), as the C library reads it; `nil` for anything else.
    static func bytes(of address: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
