import Foundation
import HookSyncConfig
import HookSyncCore
import HookSyncIngest
import HookSyncSQLite
import HookSyncTestSupport
import Hummingbird
import HummingbirdTesting
import Logging

/// A configuration with one source of every kind, a real database, and the listeners built from them.
struct IngestFixture {
    static let signingSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let yaml = """
        ingest: { max_body_bytes: 2048 }
        admin: { token: admin-secret-1 }
        sources:
          - { name: precoro, kind: precoro, webhook_token: tok-precoro, api: { email: e@example.com, token: t } }
          - { name: economic, kind: economic, webhook_token: tok-economic, api: { app_secret_token: a, agreement_grant_token: b } }
          - { name: kladana, kind: kladana, webhook_token: tok-kladana, api: { token: t } }
          - { name: softledger, kind: softledger, webhook_token: tok-softledger, api: { client_id: c, client_secret: s, tenant_uuid: u, audience: a } }
          - name: acme
            kind: standard-webhooks
            signing_secrets: ["whsec_b2xkc2VjcmV0b2xkc2VjcmV0b2xkc2VjcmV0", "\(signingSecret)"]
            api: { fetch_url: "http://127.0.0.1:9/{type}/{id}" }
          - { name: office, kind: precoro, webhook_token: tok-office, allow_cidrs: ["10.0.0.0/8"], api: { email: e@example.com, token: t } }
        """

    let database: TemporaryDatabase
    let config: HookSyncConfiguration
    let listeners: IngestApplication

    init() throws {
        database = try TemporaryDatabase()
        config = try ConfigLoader(environment: [:]).parse(yaml: Self.yaml)
        listeners = IngestApplication(config: config, store: database.store, clock: database.clock, logger: Logger(label: "test"))
    }

    var store: SQLiteQueueStore { database.store }
}

extension TestClientProtocol {
    /// POSTs a body and returns status and body text.
    func send(
        _ uri: String, method: HTTPRequest.Method = .post, headers: HTTPFields = [.contentType: "application/json"], body: String = ""
    ) async throws -> (status: HTTPResponse.Status, body: String, headers: HTTPFields) {
        try await execute(uri: uri, method: method, headers: headers, body: ByteBuffer(string: body)) { response in
            (response.status, String(buffer: response.body), response.headers)
        }
    }
}

/// Decodes a JSON object answer.
func json(_ text: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
}
