import Foundation
import HookSyncConfig
import HookSyncCore
import HookSyncProviders
import HookSyncSQLite
import HookSyncTestSupport
import HookSyncWorker
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// Answers provider requests from a script, so a test controls every status, header and body the
/// worker sees, and counts what it asked. Unscripted requests get `fallback(url)`.
final class ScriptedTransport: HTTPTransport {
    struct State {
        var scripts: [String: [APIResponse]] = [:]
        var requests: [APIRequest] = []
        var inFlightByURL: [String: Int] = [:]
        var maxInFlightOfOneURL = 0
    }
    let state = Mutex(State())
    let fallback: @Sendable (String) -> APIResponse
    let latency: Duration

    init(latency: Duration = .zero, fallback: @escaping @Sendable (String) -> APIResponse) {
        self.latency = latency
        self.fallback = fallback
    }

    /// The next answers for requests whose URL ends with `suffix`, in order; then the fallback again.
    func script(_ suffix: String, _ responses: APIResponse...) {
        state.withLock { $0.scripts[suffix, default: []].append(contentsOf: responses) }
    }

    func send(_ request: APIRequest) async throws -> APIResponse {
        let scripted: APIResponse? = state.withLock { state in
            state.requests.append(request)
            state.inFlightByURL[request.url, default: 0] += 1
            state.maxInFlightOfOneURL = max(state.maxInFlightOfOneURL, state.inFlightByURL[request.url]!)
            guard let suffix = state.scripts.keys.sorted(by: { $0.count > $1.count }).first(where: { request.url.hasSuffix($0) && !state.scripts[$0]!.isEmpty })
            else { return nil }
            return state.scripts[suffix]!.removeFirst()
        }
        defer { state.withLock { $0.inFlightByURL[request.url]! -= 1 } }
        if latency > .zero { try await Task.sleep(for: latency) }
        return scripted ?? fallback(request.url)
    }

    var requestCount: Int { state.withLock { $0.requests.count } }
    func requests(endingWith suffix: String) -> [APIRequest] { state.withLock { $0.requests.filter { $0.url.hasSuffix(suffix) } } }
    var maxInFlightOfOneURL: Int { state.withLock { $0.maxInFlightOfOneURL } }
}

/// A queue, a mirror and a worker over a scripted provider, all in one temporary folder, with the
/// queue's manual clock driving backoff and lease times.
final class WorkerHarness: Sendable {
    let database: TemporaryDatabase
    let mirror: MirrorStore
    let transport: ScriptedTransport

    init(transport: ScriptedTransport) throws {
        database = try TemporaryDatabase()
        mirror = try MirrorStore.open(path: database.folder.appending(path: "mirror.sqlite").path, options: SQLiteOptions(synchronous: .normal))
        self.transport = transport
    }

    deinit { try? mirror.close() }

    var store: SQLiteQueueStore { database.store }
    var clock: ManualWallClock { database.clock }

    static func settings(concurrency: Int = 4, maxAttempts: Int = 5, backoffBase: Duration = .seconds(1)) -> WorkerSettings {
        var options = WorkerOptions()
        options.concurrency = concurrency
        options.maxAttempts = maxAttempts
        options.backoffBase = backoffBase
        options.backoffMax = .seconds(60)
        options.lease = .seconds(30)
        options.shutdownGrace = .seconds(2)
        var settings = WorkerSettings(options: options, owner: "test-worker")
        settings.pollInterval = .milliseconds(20)
        return settings
    }

    static func limits(failures: Int = 5, cooldown: Duration = .seconds(30)) -> SourceLimits {
        var limits = SourceLimits()
        limits.windows = [BudgetWindow(requests: 100_000, per: .seconds(1))]
        limits.maxParallel = 64
        limits.circuitFailures = failures
        limits.circuitCooldown = cooldown
        return limits
    }

    func source(_ name: String, kind: ProviderKind, limits: SourceLimits = WorkerHarness.limits()) throws -> WorkerSource {
        let values: [String: String] = switch kind {
        case .precoro: ["base_url": "http://precoro.test", "email": "e@x", "token": "t"]
        case .economic: ["base_url": "http://economic.test", "app_secret_token": "a", "agreement_grant_token": "g"]
        case .kladana: ["base_url": "http://kladana.test/api/remap/1.2", "token": "t"]
        case .softledger: ["base_url": "http://softledger.test/api", "token_url": "http://softledger.test/oauth/token", "client_id": "c", "client_secret": "s", "tenant_uuid": "t", "audience": "a"]
        case .standardWebhooks: ["fetch_url": "http://standard.test/{type}/{id}"]
        }
        let clock = self.clock
        let api = try ProviderAPIs.make(kind: kind, settings: APISettings(source: name, values: values), transport: transport, now: { clock.now })
        return WorkerSource(name: name, api: api, limits: limits)
    }

    /// Runs a worker until `done` holds (checked every 20 ms) or `timeout` passes, then stops it gracefully.
    /// The timeout only catches a worker that never gets there (see `waitUntil` on why it is long).
    func run(
        sources: [WorkerSource], settings: WorkerSettings = WorkerHarness.settings(), timeout: Duration = .seconds(60),
        until done: @escaping @Sendable () async throws -> Bool
    ) async throws {
        var logger = Logger(label: "test.worker")
        logger.logLevel = .warning
        let worker = Worker(queue: store, sources: sources, sink: mirror, settings: settings, clock: clock, logger: logger)
        let group = ServiceGroup(services: [worker], gracefulShutdownSignals: [], cancellationSignals: [], logger: logger)
        let running = Task { try await group.run() }
        let deadline = ContinuousClock.now + timeout
        var satisfied = false
        while ContinuousClock.now < deadline {
            if try await done() { satisfied = true; break }
            try await Task.sleep(for: .milliseconds(20))
        }
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(satisfied, "the condition did not hold within \(timeout)")
    }

    func item(_ id: Int64) async throws -> WorkItem {
        try #require(try await store.workItem(id: id))
    }

    /// Folds queued events, then returns the entity's latest work item.
    func latestItem(of key: EntityKey) async throws -> WorkItem {
        _ = try await store.foldQueuedEvents()
        return try #require(try await store.workItems(for: key).last)
    }
}

/// An entity body as each provider's API shapes it, with a modification time.
enum Entity {
    static func json(_ object: [String: Any]) -> APIResponse {
        APIResponse(status: 200, headers: ["content-type": "application/json"], body: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }
    static func status(_ status: Int, headers: [String: String] = [:], body: String = "{}") -> APIResponse {
        APIResponse(status: status, headers: headers, body: Data(body.utf8))
    }
}
