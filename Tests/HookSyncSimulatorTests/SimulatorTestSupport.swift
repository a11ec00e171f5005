import Foundation
import HTTPTypes
import HookSyncCore
import HookSyncSimulator
import HummingbirdTesting
import NIOCore

/// 2026-01-01T00:00:00Z: simulated clocks start here so expected timestamps can be written out.
let simulatedStart = Date(timeIntervalSince1970: 1_767_225_600)

/// A simulator on a clock that moves only when the test says.
func makeSimulator(credentials: SimulatorCredentials = .init(), seed: UInt64 = 1) -> (ProviderSimulator, ManualWallClock) {
    let clock = ManualWallClock(simulatedStart)
    return (ProviderSimulator(credentials: credentials, seed: seed, now: { clock.now }), clock)
}

/// The headers each provider's client sends with the default `SimulatorCredentials`.
enum Auth {
    static let precoro: HTTPFields = [HTTPField.Name("X-AUTH-TOKEN")!: "precoro-token", HTTPField.Name("email")!: "sim@example.com"]
    static let economic: HTTPFields = [
        HTTPField.Name("X-AppSecretToken")!: "economic-app", HTTPField.Name("X-AgreementGrantToken")!: "economic-grant",
    ]
    static let kladana: HTTPFields = [.authorization: "Bearer kladana-token", .acceptEncoding: "gzip"]
    static let standard: HTTPFields = [.authorization: "Bearer standard-token"]

    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }
}

extension TestResponse {
    /// The body as a JSON object (empty when it is not one).
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
    }

    var text: String { String(buffer: body) }
}

/// The objects of a JSON array value.
func objects(_ value: Any?) -> [[String: Any]] {
    (value as? [Any])?.compactMap { $0 as? [String: Any] } ?? []
}

/// Path and query of an absolute URL, to follow a paging link with a test client that takes paths.
func pathAndQuery(_ absolute: String) -> String {
    guard let components = URLComponents(string: absolute) else { return absolute }
    return components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
}

/// A query value encoded as provider clients encode it: only RFC 3986's unreserved characters bare.
func encoded(_ value: String) -> String {
    var unreserved = CharacterSet.alphanumerics
    unreserved.insert(charactersIn: "-._~")
    return value.addingPercentEncoding(withAllowedCharacters: unreserved)!
}

/// Issues a SoftLedger token through the token endpoint, as the client does.
func softLedgerToken(_ client: some TestClientProtocol, secret: String = "sl-secret") async throws -> TestResponse {
    let body = #"{"grant_type":"client_credentials","tenantUUID":"sl-tenant","audience":"sl-audience","client_id":"sl-client","client_secret":"\#(secret)"}"#
    return try await client.execute(
        uri: "/softledger/oauth/token", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
}
