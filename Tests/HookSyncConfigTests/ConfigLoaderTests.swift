import Foundation
import HookSyncConfig
import HookSyncCore
import Testing

@Suite("Configuration")
struct ConfigLoaderTests {
    static let environment = [
        "PRECORO_WEBHOOK_TOKEN": "pw-secret", "PRECORO_API_TOKEN": "pa-secret",
        "ECONOMIC_WEBHOOK_TOKEN": "ew-secret", "ECONOMIC_APP_SECRET": "economic-app-secret", "ECONOMIC_GRANT": "economic-grant-secret",
        "KLADANA_WEBHOOK_TOKEN": "kw-secret", "KLADANA_API_TOKEN": "ka-secret", "HOOKSYNC_ADMIN_TOKEN": "admin-secret",
    ]

    /// The example from the foundation issue: the contract users, docs and tests rely on.
    static let contractExample = """
        database: ./data/hooksync.sqlite
        ingest:   { listen: "127.0.0.1:8080", max_body_bytes: 262144 }
        admin:    { listen: "127.0.0.1:8081", token: "${HOOKSYNC_ADMIN_TOKEN}" }
        worker:   { concurrency: 8, lease: 30s, backoff_base: 1s, backoff_max: 30m, max_attempts: 12 }
        sources:
          - name: precoro                 # the URL segment: /hooks/precoro
            kind: precoro                 # precoro | economic | kladana | softledger | standard-webhooks
            webhook_token: "${PRECORO_WEBHOOK_TOKEN}"
            api: { base_url: "https://api.precoro.com", email: "ops@example.com", token: "${PRECORO_API_TOKEN}" }
            reconcile: { types: [invoice, purchase_order], lookback: 2h }
          - name: economic
            kind: economic
            webhook_token: "${ECONOMIC_WEBHOOK_TOKEN}"
            api: { base_url: "https://restapi.e-conomic.com", app_secret_token: "${ECONOMIC_APP_SECRET}", agreement_grant_token: "${ECONOMIC_GRANT}" }
            reconcile: { types: [customer, product], lookback: 2h }
          - name: kladana
            kind: kladana
            webhook_token: "${KLADANA_WEBHOOK_TOKEN}"
            api: { base_url: "https://api.kladana.com/api/remap/1.2", token: "${KLADANA_API_TOKEN}" }
            reconcile: { types: [customerorder], lookback: 2h }
        sink: { kind: mirror }            # mirror | http | exec
        """

    func problems(_ yaml: String, environment: [String: String] = environment) -> [String] {
        do {
            _ = try ConfigLoader(environment: environment).parse(yaml: yaml)
            return []
        } catch ConfigError.invalid(_, let problems) {
            return problems
        } catch {
            return ["unexpected: \(error)"]
        }
    }

    @Test func contractExampleLoadsWithEnvironmentSecrets() throws {
        let config = try ConfigLoader(environment: Self.environment)
            .parse(yaml: Self.contractExample, baseFolder: URL(fileURLWithPath: "/srv/hooksync"))
        #expect(config.database == "/srv/hooksync/data/hooksync.sqlite")
        #expect(config.ingest.listen == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(config.admin.token?.value == "admin-secret")
        #expect(config.worker.backoffMax == .seconds(1_800))
        #expect(config.worker.lease == .seconds(30))
        #expect(config.sources.map(\.name) == ["precoro", "economic", "kladana"])
        let precoro = try #require(config.source(named: "precoro"))
        #expect(precoro.kind == .precoro)
        #expect(precoro.webhookToken?.value == "pw-secret")
        #expect(precoro.api["token"]?.value == "pa-secret")
        #expect(precoro.api["email"]?.value == "ops@example.com")
        #expect(precoro.api["read_timeout"]?.value == "30s")
        #expect(precoro.reconcile.types == ["invoice", "purchase_order"])
        #expect(precoro.reconcile.lookback == .seconds(7_200))
        #expect(config.sink == .mirror(database: "/srv/hooksync/data/mirror.sqlite"))
        #expect(config.queue.synchronous == .full)
        #expect(config.queue.retention == .seconds(7 * 86_400))
    }

    @Test func ingestConnectionLimitsHaveDefaultsAndAreChecked() throws {
        let defaults = try ConfigLoader(environment: [:]).parse(yaml: "").ingest
        #expect(defaults.headerTimeout == .seconds(10) && defaults.bodyTimeout == .seconds(30) && defaults.idleTimeout == .seconds(30))
        #expect(defaults.maxConnections == 512)
        let set = try ConfigLoader(environment: [:]).parse(yaml: """
            ingest: { header_timeout: 500ms, body_timeout: 5s, idle_timeout: 2m, max_connections: 64 }
            """).ingest
        #expect(set.headerTimeout == .milliseconds(500) && set.bodyTimeout == .seconds(5) && set.idleTimeout == .seconds(120))
        #expect(set.maxConnections == 64)
        let found = problems("ingest: { header_timeout: soon, max_connections: 0 }")
        #expect(found.contains { $0.hasPrefix("ingest.header_timeout: \"soon\" is not a duration") })
        #expect(found.contains { $0.hasPrefix("ingest.max_connections: \"0\"") })
    }

    @Test func emptyFileMeansAllDefaults() throws {
        let config = try ConfigLoader(environment: [:]).parse(yaml: "")
        #expect(config.database == "./data/hooksync.sqlite")
        #expect(config.ingest.listen.host == "127.0.0.1", "listen on loopback unless told otherwise")
        #expect(config.admin.listen.description == "127.0.0.1:8081")
        #expect(config.ingest.maxBodyBytes == 262_144)
        #expect(config.worker.concurrency == 8 && config.worker.maxAttempts == 12)
        #expect(config.sources.isEmpty)
    }

    @Test func theMirrorSitsBesideTheQueueUnlessPlacedElsewhere() throws {
        let loader = ConfigLoader(environment: [:])
        let bare = try loader.parse(yaml: "database: /var/lib/hooksync/queue.sqlite\nsink: { kind: mirror }\n")
        #expect(bare.sink == .mirror(database: "/var/lib/hooksync/mirror.sqlite"))
        let placed = try loader.parse(yaml: "database: /var/lib/hooksync/queue.sqlite\nsink: { kind: mirror, database: /srv/mirror.sqlite }\n")
        #expect(placed.sink == .mirror(database: "/srv/mirror.sqlite"))
    }

    @Test func missingVariableNamesTheKeyAndTheVariable() {
        var environment = Self.environment
        environment["PRECORO_API_TOKEN"] = nil
        #expect(problems(Self.contractExample, environment: environment)
            == ["sources[0].api.token: environment variable PRECORO_API_TOKEN is not set"])
    }

    /// What `status` and the other queue-only commands load: an operator's shell need not hold the
    /// credentials. Only secrets are let off; a variable anywhere else is still required.
    @Test func secretsMayBeUnsetForCommandsThatNeverReadThem() throws {
        let yaml = """
            database: "${DATA_DIR}/queue.sqlite"
            admin: { token: "${NO_ADMIN_TOKEN}" }
            sources:
              - { name: p, kind: precoro, webhook_token: "${NO_HOOK_TOKEN}", api: { email: e, token: "${NO_API_TOKEN}" } }
              - { name: s, kind: standard-webhooks, signing_secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "${NO_OLD_SECRET}"],
                  api: { fetch_url: "https://api.example.com/{type}/{id}" } }
            """
        let lenient = ConfigLoader(environment: ["DATA_DIR": "/srv"], secretVariables: .mayBeUnset)
        let config = try lenient.parse(yaml: yaml)
        #expect(config.database == "/srv/queue.sqlite")
        #expect(config.admin.token?.unsetVariable == "NO_ADMIN_TOKEN")
        let precoro = try #require(config.source(named: "p"))
        #expect(precoro.webhookToken?.unsetVariable == "NO_HOOK_TOKEN")
        #expect(precoro.api["token"] == .secret(.unset(variable: "NO_API_TOKEN")))
        #expect(config.source(named: "s")?.signingSecrets.map(\.unsetVariable) == [nil, "NO_OLD_SECRET"])

        // Not a secret: still a problem, as is a malformed or empty secret.
        let problems = { (yaml: String) -> [String] in
            do { _ = try lenient.parse(yaml: yaml); return [] } catch ConfigError.invalid(_, let problems) { return problems } catch {
                return ["unexpected: \(error)"]
            }
        }
        #expect(problems(yaml.replacingOccurrences(of: "${DATA_DIR}", with: "${NO_DATA_DIR}"))
            == ["database: environment variable NO_DATA_DIR is not set"])
        #expect(problems(yaml.replacingOccurrences(of: "${NO_ADMIN_TOKEN}", with: "${NO_ADMIN_TOKEN"))
            == ["admin.token: unterminated ${ in \"${NO_ADMIN_TOKEN\""])
        #expect(problems(yaml.replacingOccurrences(of: "${NO_ADMIN_TOKEN}", with: ""))
            == ["admin.token: is empty"])

        // Everyone else still hears about every one of them.
        #expect(self.problems(yaml, environment: ["DATA_DIR": "/srv"]) == [
            "admin.token: environment variable NO_ADMIN_TOKEN is not set",
            "sources[0].webhook_token: environment variable NO_HOOK_TOKEN is not set",
            "sources[0].api.token: environment variable NO_API_TOKEN is not set",
            "sources[1].signing_secrets[1]: environment variable NO_OLD_SECRET is not set",
        ])
    }

    /// What `worker`, `reconcile` and `resync` load: they call providers, so the credentials they send
    /// are required, but they never authenticate a webhook, so ingest's secrets may be unset.
    @Test func commandsThatOnlyCallOutRequireOnlyTheSecretsTheySend() throws {
        let yaml = """
            database: ./queue.sqlite
            admin: { token: "${NO_ADMIN_TOKEN}" }
            sink: { kind: http, url: "https://downstream.example.com/hook", secret: "${SINK_SECRET}" }
            sources:
              - { name: p, kind: precoro, webhook_token: "${NO_HOOK_TOKEN}", api: { email: e, token: "${API_TOKEN}" } }
              - { name: s, kind: standard-webhooks, signing_secrets: ["${NO_SIGNING_SECRET}"],
                  api: { fetch_url: "https://api.example.com/{type}/{id}" } }
            """
        let outbound = { (environment: [String: String]) in ConfigLoader(environment: environment, secretVariables: .outboundRequired) }
        let config = try outbound(["API_TOKEN": "api-secret", "SINK_SECRET": "sink-secret"]).parse(yaml: yaml)
        #expect(config.admin.token?.unsetVariable == "NO_ADMIN_TOKEN")
        let precoro = try #require(config.source(named: "p"))
        #expect(precoro.webhookToken?.unsetVariable == "NO_HOOK_TOKEN")
        #expect(precoro.api["token"] == .secret(Secret("api-secret")))
        #expect(config.source(named: "s")?.signingSecrets.map(\.unsetVariable) == ["NO_SIGNING_SECRET"])
        #expect(config.sink == .http(url: "https://downstream.example.com/hook", secret: Secret("sink-secret")))

        do {
            _ = try outbound([:]).parse(yaml: yaml)
            Issue.record("outbound secrets left unset were accepted")
        } catch ConfigError.invalid(_, let problems) {
            #expect(problems == [
                "sources[0].api.token: environment variable API_TOKEN is not set",
                "sink.secret: environment variable SINK_SECRET is not set",
            ])
        }
    }

    @Test func unknownKeysAreNamedWithTheirPath() {
        let found = problems("""
            databse: x.sqlite
            worker: { concurency: 4 }
            sources:
              - { name: p, kind: precoro, webhook_token: t, api: { email: e, token: t, tokn: x } }
            """)
        #expect(found.contains { $0.hasPrefix("databse: unknown key") })
        #expect(found.contains { $0.hasPrefix("worker.concurency: unknown key") })
        #expect(found.contains { $0.hasPrefix("sources[0].api.tokn: unknown key") })
        #expect(found.count == 3)
    }

    @Test func missingRequiredKeysAreNamed() {
        let found = problems("""
            sources:
              - { kind: economic, api: { app_secret_token: a } }
            """)
        #expect(found.contains("sources[0].name: is required"))
        #expect(found.contains("sources[0].webhook_token: is required"))
        #expect(found.contains("sources[0].api.agreement_grant_token: is required"))
    }

    @Test(arguments: ["30", "2 h", "1.5s", "-1s", "10 minutes", "0s"])
    func badDurationsAreRejected(_ text: String) {
        let found = problems("worker: { lease: \"\(text)\" }")
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("worker.lease: \"\(text)\" is not a duration") == true)
    }

    @Test func badValuesAreExplained() {
        let found = problems("""
            ingest: { listen: "localhost", max_body_bytes: lots }
            queue: { synchronous: sometimes }
            worker: { backoff_base: 10m, backoff_max: 1m }
            sources:
              - { name: "Bad Name", kind: quickbooks, webhook_token: t }
              - { name: p, kind: precoro, webhook_token: t, api: { email: e, token: t }, allow_cidrs: ["10.0.0.0/33"] }
              - { name: p, kind: precoro, webhook_token: t, api: { email: e, token: t } }
            sink: { kind: http, url: "ftp://x" }
            """)
        #expect(found.contains("ingest.listen: \"localhost\" is not host:port (e.g. 127.0.0.1:8080)"))
        #expect(found.contains { $0.hasPrefix("ingest.max_body_bytes: \"lots\"") })
        #expect(found.contains("queue.synchronous: \"sometimes\" is not one of full | normal"))
        #expect(found.contains("worker.backoff_max: must not be shorter than backoff_base"))
        #expect(found.contains { $0.hasPrefix("sources[0].name: \"Bad Name\" must be lowercase") })
        #expect(found.contains("sources[0].kind: \"quickbooks\" is not one of precoro | economic | kladana | softledger | standard-webhooks"))
        #expect(found.contains { $0.hasPrefix("sources[1].allow_cidrs[0]:") })
        #expect(found.contains("sources: two sources are named \"p\"; names must be unique"))
        #expect(found.contains("sink.url: \"ftp://x\" is not an http(s) URL"))
        #expect(found.contains("sink.secret: is required"))
    }

    @Test func interpolationHandlesEscapesAndMalformedReferences() throws {
        let config = try ConfigLoader(environment: ["DIR": "/var/lib"]).parse(yaml: "database: \"${DIR}/hs-$${x}-$5.sqlite\"")
        #expect(config.database == "/var/lib/hs-${x}-$5.sqlite")
        #expect(problems("database: \"${DIR\"", environment: [:]) == ["database: unterminated ${ in \"${DIR\""])
    }

    @Test func standardWebhooksSourcesNeedSigningSecrets() {
        #expect(problems("""
            sources:
              - { name: acme, kind: standard-webhooks, api: { fetch_url: "https://api.example.com/{type}/{id}" } }
            """) == ["sources[0].signing_secrets: a standard-webhooks source needs signing secrets (whsec_…) or a webhook_token"])
        #expect(problems("""
            sources:
              - name: acme
                kind: standard-webhooks
                signing_secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_old"]
                api: { fetch_url: "https://api.example.com/{type}/{id}" }
            """).isEmpty)
    }

    @Test func effectiveConfigMasksEverySecret() throws {
        let config = try ConfigLoader(environment: Self.environment).parse(yaml: Self.contractExample)
        let yaml = try config.effectiveYAML()
        for secret in Self.environment.values {
            #expect(!yaml.contains(secret), "secret \(secret.prefix(2))… leaked")
        }
        #expect(yaml.contains("backoff_max: 30m"))
        #expect(yaml.contains("email: ops@example.com"))
        #expect(yaml.contains("********"))
        // What it prints is itself a valid configuration, secrets aside.
        #expect(String(describing: config.admin.token!) == "********")
    }

    @Test func missingFileSaysHowToPointAtOne() {
        #expect(throws: ConfigError.fileNotFound(path: "/nonexistent/hooksync.yaml")) {
            try ConfigLoader().load(path: "/nonexistent/hooksync.yaml")
        }
        #expect(ConfigError.fileNotFound(path: "x").description.contains("HOOKSYNC_CONFIG"))
    }

    @Test func malformedYAMLIsReported() {
        let found = problems("ingest: { listen: [")
        #expect(found.count == 1 && found[0].hasPrefix("not valid YAML"))
    }
}

/// `api.limits` and `api.max_parallel`: each provider's published windows by default, a list of
/// windows per source, and the deprecated `rate_limit`/`burst` of the per-process token bucket.
@Suite("Configuration: budgets")
struct BudgetConfigurationTests {
    func source(_ api: String, kind: String = "precoro") throws -> (SourceConfiguration, [String]) {
        let credentials = kind == "precoro" ? "email: a@b.c, token: t" : "token: t"
        let config = try ConfigLoader(environment: [:]).parse(yaml: """
            sources:
              - { name: s, kind: \(kind), webhook_token: wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww, api: { \(credentials)\(api.isEmpty ? "" : ", \(api)") } }
            """)
        return (try #require(config.sources.first), config.warnings)
    }

    @Test func eachProviderHasItsPublishedWindowsByDefault() throws {
        #expect(try source("").0.limits.windows.map(\.description) == ["1/1s", "1500/1h", "3000/1d"])
        #expect(try source("").0.limits.maxParallel == 1)
        #expect(try source("", kind: "kladana").0.limits.windows.map(\.description) == ["45/3s"])
        #expect(try source("", kind: "kladana").0.limits.maxParallel == 5)
        #expect(try source("", kind: "kladana").1.isEmpty)
    }

    @Test func limitsListsWindowsPerSource() throws {
        let (precoro, warnings) = try source(#"limits: ["2/1s", "100/1h"], max_parallel: 2"#)
        #expect(precoro.limits.windows == [BudgetWindow(requests: 2, per: .seconds(1)), BudgetWindow(requests: 100, per: .seconds(3_600))])
        #expect(precoro.limits.maxParallel == 2)
        #expect(warnings.isEmpty)
    }

    @Test func rateLimitIsADeprecatedAliasForOneWindowAndBurstIsIgnored() throws {
        let (precoro, warnings) = try source(#"rate_limit: "5/1s", burst: 3"#)
        #expect(precoro.limits.windows == [BudgetWindow(requests: 5, per: .seconds(1))])
        #expect(warnings.contains { $0.contains("api.rate_limit") && $0.contains(#"limits: ["5/1s"]"#) })
        #expect(warnings.contains { $0.contains("api.burst") && $0.contains("ignored") })
    }

    @Test func badWindowsAndBothFormsAreRefused() {
        let problems = { (api: String) -> [String] in
            do {
                _ = try ConfigLoader(environment: [:]).parse(yaml: """
                    sources:
                      - { name: s, kind: kladana, webhook_token: wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww, api: { token: t, \(api) } }
                    """)
                return []
            } catch ConfigError.invalid(_, let problems) { return problems } catch { return ["\(error)"] }
        }
        #expect(problems(#"limits: ["45 per 3s"]"#).contains { $0.contains("limits[0]") && $0.contains("45/3s") })
        #expect(problems(#"limits: ["45/3s"], rate_limit: "45/3s""#).contains { $0.contains("rate_limit") && $0.contains("keep only limits") })
    }
}
