import Crypto
import Foundation

/// A secret to check candidates against in time that depends on neither's content nor length: both
/// are hashed, and the digests compared without an early exit. The secret is hashed once, when the
/// listener is built, not on every request.
struct SecretDigest: Sendable {
    private let digest: [UInt8]

    init(_ secret: String) {
        digest = Self.hash(secret)
    }

    func matches(_ candidate: String) -> Bool {
        let presented = Self.hash(candidate)
        var difference: UInt8 = 0
        for index in digest.indices { difference |= digest[index] ^ presented[index] }
        return difference == 0
    }

    private static func hash(_ text: String) -> [UInt8] {
        Array(SHA256.hash(data: Data(text.utf8)))
    }
}
