import Crypto
import Foundation

/// Compares two secrets in time that depends on neither's content nor length: both are hashed
/// first, and the digests compared without an early exit.
func constantTimeEquals(_ candidate: String, _ expected: String) -> Bool {
    let left = Array(SHA256.hash(data: Data(candidate.utf8)))
    let right = Array(SHA256.hash(data: Data(expected.utf8)))
    var difference: UInt8 = 0
    for index in left.indices { difference |= left[index] ^ right[index] }
    return difference == 0
}
