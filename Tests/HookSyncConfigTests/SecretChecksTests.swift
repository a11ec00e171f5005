import HookSyncConfig
import HookSyncCore
import Testing

@Suite("Inbound secrets: what cannot work is refused, what is weak is named")
struct SecretChecksTests {
    func load(webhookToken: String = "0123456789abcdef0123", admin: String = "admin-token-0123456789", signing: String? = nil) -> (problems: [String], warnings: [String]) {
        let signingSource = signing.map { """

              - { name: acme, kind: standard-webhooks, signing_secrets: ["\($0)"], api: { fetch_url: "https://api.example.com/{type}/{id}" } }
            """ } ?? ""
        let yaml = """
            admin: { token: "\(admin)" }
            sources:
              - { name: p, kind: precoro, webhook_token: "\(webhookToken)", api: { email: e, token: t } }\(signingSource)
            """
        do {
            return ([], try ConfigLoader(environment: [:]).parse(yaml: yaml).warnings)
        } catch ConfigError.invalid(_, let problems) {
            return (problems, [])
        } catch {
            return (["unexpected: \(error)"], [])
        }
    }

    @Test func unusableSecretsAreRefusedWithTheirKey() {
        #expect(load(webhookToken: " ").problems == ["sources[0].webhook_token: is blank"])
        #expect(load(webhookToken: "two words").problems
            == ["sources[0].webhook_token: contains white space or a control character, which no sender can present intact"])
        #expect(load(admin: " ").problems == ["admin.token: is blank"])
        #expect(load(signing: "whsec_").problems == ["sources[1].signing_secrets[0]: has no key after whsec_"])
        #expect(load(signing: "not base64!").problems.first?.hasPrefix("sources[1].signing_secrets[0]: is not whsec_ followed by base64") == true)
        #expect(load(signing: "whsec_not base64!").problems.count == 1)
    }

    @Test func weakSecretsWorkButAreNamed() {
        #expect(load(webhookToken: "a").warnings
            == ["sources[0].webhook_token: is 1 characters long; use at least 16 random ones (e.g. openssl rand -hex 16)"])
        #expect(load(admin: "a").warnings.first?.hasPrefix("admin.token: is 1 characters long") == true)
        #expect(load(signing: "whsec_AQ==").warnings == ["sources[1].signing_secrets[0]: has a key of 1 bytes; Standard Webhooks asks for at least 24"])
    }

    @Test func strongSecretsPassSilentlyWithOrWithoutThePrefix() {
        for secret in ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] {
            let loaded = load(signing: secret)
            #expect(loaded.problems.isEmpty && loaded.warnings.isEmpty, "\(loaded)")
        }
    }

    @Test func theKeyIsReadAsTheReferenceLibrariesReadIt() throws {
        let prefixed = try StandardWebhooksSecret.key(of: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        #expect(prefixed.count == 24)
        #expect(try StandardWebhooksSecret.key(of: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == prefixed)
        #expect(try StandardWebhooksSecret.key(of: "whsec_bm90IGJhc2U2NCE") == StandardWebhooksSecret.key(of: "whsec_bm90IGJhc2U2NCE=\n"))
        #expect(throws: StandardWebhooksSecret.Problem.notBase64) { try StandardWebhooksSecret.key(of: "not base64!") }
    }
}
