import Foundation
import HookSyncCore
import HookSyncSQLite
import HookSyncTestSupport
import Testing

/// The `hooksync` binary as a user meets it: real processes, real files, exit codes and messages.
@Suite("hooksync command line")
struct CommandLineTests {
    let folder: URL

    init() throws {
        folder = try makeTemporaryFolder("hooksync-cli")
    }

    func run(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> ChildProcess.Result {
        var environment = ProcessInfo.processInfo.environment
        environment["HOOKSYNC_CONFIG"] = nil
        environment.merge(extra) { _, new in new }
        let child = try ChildProcess.start(BuildProducts.executable("hooksync"), arguments, environment: environment)
        return try await child.wait(timeout: .seconds(60))
    }

    func writeConfig(_ yaml: String, name: String = "hooksync.yaml") throws -> String {
        let path = folder.appending(path: name).path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func helpListsEveryCommand() async throws {
        let result = try await run(["--help"])
        #expect(result.status == 0)
        for command in ["migrate", "config", "ingest", "worker", "reconcile", "resync", "status", "dead-letters", "quarantine", "mirror", "prune"] {
            #expect(result.standardOutput.contains(command))
        }
        let statusHelp = try await run(["status", "--help"])
        #expect(statusHelp.standardOutput.contains("--config <file>"))
        #expect(statusHelp.standardOutput.contains("--json"))
    }

    @Test func missingConfigFileSaysHowToPointAtOne() async throws {
        let result = try await run(["status", "--config", folder.appending(path: "absent.yaml").path])
        #expect(result.status != 0)
        #expect(result.standardError.contains("absent.yaml not found"))
        #expect(result.standardError.contains("HOOKSYNC_CONFIG"))
    }

    @Test func configCheckListsEveryProblemByKey() async throws {
        let config = try writeConfig("""
            worker: { lease: 30, concurrency: many }
            sources:
              - { name: p, kind: precoro, webhook_token: "${NOT_SET_ANYWHERE}", api: { email: e, token: t } }
            """)
        let result = try await run(["config", "check", "--config", config])
        #expect(result.status != 0)
        #expect(result.standardError.contains("worker.lease: \"30\" is not a duration"))
        #expect(result.standardError.contains("worker.concurrency: \"many\""))
        #expect(result.standardError.contains("sources[0].webhook_token: environment variable NOT_SET_ANYWHERE is not set"))
    }

    @Test func configCheckPrintsEffectiveConfigWithoutSecrets() async throws {
        let config = try writeConfig("""
            admin: { token: "${T_ADMIN}" }
            sources:
              - { name: p, kind: precoro, webhook_token: "${T_HOOK}", api: { email: ops@example.com, token: "${T_API}" } }
            """)
        let secrets = ["T_ADMIN": "admin-7f3a9c", "T_HOOK": "hook-2b8e1d", "T_API": "api-5c0f4a"]
        let result = try await run(["config", "check", "--config", config], environment: secrets)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("email: ops@example.com"))
        #expect(result.standardOutput.contains("listen: 127.0.0.1:8080"))
        for secret in secrets.values { #expect(!result.standardOutput.contains(secret)) }
    }

    /// An operator's shell holds no credentials: the commands that only read or edit the queue work
    /// without them, and the ones that would use them name every missing variable they would use.
    @Test func queueCommandsRunWithoutTheSecretsThatIngestNeeds() async throws {
        let config = try writeConfig("""
            database: ./queue.sqlite
            sources:
              - { name: p, kind: precoro, webhook_token: "${UNSET_HOOK_TOKEN}", api: { email: e, token: "${UNSET_API_TOKEN}" } }
            """)
        for command in [["migrate"], ["status"], ["status", "--json"], ["dead-letters", "list"], ["quarantine", "list"], ["prune"]] {
            let result = try await run(command + ["--config", config])
            #expect(result.status == 0, "\(command): \(result.standardError)")
        }
        // Nothing synced yet: the export refuses for that reason, not for a secret.
        let export = try await run(["mirror", "export", "--config", config])
        #expect(export.status == 1 && export.standardError.contains("no mirror at"), "\(export.standardError)")
        for command in [["ingest"], ["config", "check"]] {
            let result = try await run(command + ["--config", config])
            #expect(result.status != 0, "\(command)")
            #expect(result.standardError.contains("sources[0].webhook_token: environment variable UNSET_HOOK_TOKEN is not set"), "\(command)")
            #expect(result.standardError.contains("sources[0].api.token: environment variable UNSET_API_TOKEN is not set"), "\(command)")
        }
        // These call the provider but never receive a webhook: only the credential they send is missing.
        for command in [["worker"], ["reconcile"], ["resync", "--source", "p"]] {
            let result = try await run(command + ["--config", config])
            #expect(result.status != 0, "\(command)")
            #expect(!result.standardError.contains("webhook_token"), "\(command): \(result.standardError)")
            #expect(result.standardError.contains("sources[0].api.token: environment variable UNSET_API_TOKEN is not set"), "\(command)")
        }
    }

    @Test func commandsRefuseAMissingDatabaseAndMigrateCreatesIt() async throws {
        let config = try writeConfig("database: ./db/queue.sqlite\n")
        let refused = try await run(["status", "--config", config])
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("does not exist"))
        #expect(refused.standardError.contains("hooksync migrate --config \(config)"))
        #expect(!FileManager.default.fileExists(atPath: folder.appending(path: "db/queue.sqlite").path))

        let migrated = try await run(["migrate", "--config", config])
        #expect(migrated.status == 0)
        #expect(migrated.standardOutput.contains("applied 0001_initial"))
        let again = try await run(["migrate", "--config", config])
        #expect(again.standardOutput.contains("schema is up to date"))

        // The database path is relative to the config file, not to the working directory.
        #expect(FileManager.default.fileExists(atPath: folder.appending(path: "db/queue.sqlite").path))

        let status = try await run(["status", "--json"], environment: ["HOOKSYNC_CONFIG": config])
        #expect(status.status == 0)
        let document = try JSONDecoder().decode(QueueStatusKeys.self, from: Data(status.standardOutput.utf8))
        #expect(document.received == 0 && document.work.pending == 0)
        #expect(document.schema_version == "0005_budget")
        #expect(status.standardOutput.contains("\"oldest_pending_age_seconds\" : null"))
    }

    @Test func aSecondReconcileOfTheSameSourceAndTypeIsRefusedNamingTheHolder() async throws {
        let config = try writeConfig("""
            database: ./queue.sqlite
            sources:
              - name: economic
                kind: economic
                webhook_token: t
                api: { base_url: "http://127.0.0.1:9/economic", app_secret_token: a, agreement_grant_token: g }
                reconcile: { types: [customer] }
            """)
        _ = try await run(["migrate", "--config", config])
        let store = try SQLiteQueueStore.open(path: folder.appending(path: "queue.sqlite").path)
        defer { try? store.close() }
        let plan = ReconcilePassPlan(source: "economic", type: "customer", mode: .incremental, listedFrom: nil, upperBound: Date())
        _ = try await store.beginPass(plan, owner: "nightly-host:4242", now: Date(), staleAfter: .seconds(300))

        let second = try await run(["reconcile", "--config", config])
        #expect(second.status == 1)
        #expect(second.standardError.contains("economic/customer: a reconcile of economic/customer is already running (pass #1, owner nightly-host:4242, started "))
        // "last heard from 0s ago", or 1s on a machine slow to start the second process.
        #expect(second.standardError.contains("s ago); wait for it to finish. If that process is gone, a run after it has been silent for 5m takes the pass over and resumes it"))

        // A type that no source configures: reconcile says what is configured; a resync of it, naming
        // the source, asks the provider, and a 404 says the type is not among the source's.
        let typo = try await run(["reconcile", "--type", "custmer", "--config", config])
        #expect(typo.status != 0)
        #expect(typo.standardError.contains("nothing to reconcile: no source in \(config) lists custmer under reconcile.types (reconcile.types configured: economic/customer)"))

        let unknown = try await run(["resync", "--source", "nope", "--config", config])
        #expect(unknown.status != 0 && unknown.standardError.contains("no source named nope"))
        let both = try await run(["resync", "--full", "--since", "2026-11-01T00:00:00Z", "--config", config])
        #expect(both.status != 0 && both.standardError.contains("--since and --full exclude each other"))
    }

    @Test func mirrorExportPrintsOneLinePerEntityAndSaysWhatIsThereWhenAFilterMatchesNothing() async throws {
        let config = try writeConfig("""
            database: ./queue.sqlite
            sink: { kind: mirror, database: ./mirror.sqlite }
            """)
        _ = try await run(["migrate", "--config", config])
        let mirrorPath = folder.appending(path: "mirror.sqlite").path
        let none = try await run(["mirror", "export", "--config", config])
        #expect(none.status == 1)
        #expect(none.standardError.contains("no mirror at \(mirrorPath) (sink.database in \(config)): nothing has been synced there yet"))
        #expect(!FileManager.default.fileExists(atPath: mirrorPath), "a read must not create the mirror")

        let mirror = try MirrorStore.open(path: mirrorPath)
        try await mirror.write([
            SyncRecord(key: EntityKey(source: "economic", type: "customer", id: "1"),
                       change: .live(json: Data("{\n  \"name\": \"Acme\"\n}".utf8), remoteModifiedAt: nil), syncedAt: Date()),
            SyncRecord(key: EntityKey(source: "economic", type: "customer", id: "2"), change: .deleted, syncedAt: Date()),
        ])
        try mirror.close()

        let all = try await run(["mirror", "export", "--config", config])
        #expect(all.status == 0)
        let lines = all.standardOutput.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix(#"{"data":{"name":"Acme"},"deleted":false,"id":"1""#) == true)
        #expect(all.standardError.isEmpty)

        let typo = try await run(["mirror", "export", "--source", "economc", "--config", config])
        #expect(typo.status == 0 && typo.standardOutput.isEmpty)
        #expect(typo.standardError.contains("no entity in the mirror matches --source economc; it holds economic/customer (2)"))
    }

    @Test func deadLetterCommandsExplainWhatIsWrong() async throws {
        let config = try writeConfig("database: ./queue.sqlite\n")
        _ = try await run(["migrate", "--config", config])
        let list = try await run(["dead-letters", "--config", config])
        #expect(list.status == 0 && list.standardOutput.contains("no dead letters"))
        let show = try await run(["dead-letters", "show", "42", "--config", config])
        #expect(show.status != 0 && show.standardError.contains("no work item #42"))
        let retry = try await run(["dead-letters", "retry", "--config", config])
        #expect(retry.status != 0 && retry.standardError.contains("give either an id or --all"))
        let drop = try await run(["dead-letters", "drop", "7", "--config", config])
        #expect(drop.status != 0 && drop.standardError.contains("#7 is not a dead letter"))
    }
}

/// The keys of `status --json` that scripts rely on (docs/status.md).
struct QueueStatusKeys: Decodable {
    struct Work: Decodable { var pending: Int; var in_flight: Int; var done: Int; var dead: Int }
    var received: Int
    var accepted: Int
    var duplicates: Int
    var quarantined: Int
    var schema_version: String
    var work: Work
}
