import Foundation
public import HookSyncCore

/// Everything `hooksync.yaml` says, validated and with defaults filled in.
///
/// ```swift
/// let config = try ConfigLoader().load(path: "hooksync.yaml")
/// let store = try SQLiteQueueStore.open(path: config.database)
/// ```
public struct HookSyncConfiguration: Sendable, Hashable {
    /// Path of the SQLite file, resolved against the config file's folder when relative.
    public var database: String
    public var queue: QueueOptions
    public var ingest: IngestOptions
    public var admin: AdminOptions
    public var worker: WorkerOptions
    public var sources: [SourceConfiguration]
    public var sink: SinkConfiguration
    /// What the file sets that works but is weak (a short token), each with its key: for `config
    /// check` to print and the long-running commands to log.
    public var warnings: [String] = []

    public func source(named name: String) -> SourceConfiguration? {
        sources.first { $0.name == name }
    }
}

public struct QueueOptions: Sendable, Hashable {
    /// `full`: a commit is on disk before ingest answers 2xx. `normal`: survives a process crash only.
    public var synchronous: Synchronous = .full
    /// How long a process waits for another's write lock before failing.
    public var busyTimeout: Duration = .seconds(5)
    /// How long accepted events (and so duplicate detection) and finished work items are kept.
    public var retention: Duration = .seconds(7 * 86_400)

    public enum Synchronous: String, Sendable, Hashable, CaseIterable { case full, normal }

    public init() {}
}

public struct IngestOptions: Sendable, Hashable {
    public var listen = ListenAddress(host: "127.0.0.1", port: 8080)
    public var maxBodyBytes = 262_144
    /// How long a connection has to send a whole request head, counted from its opening or from the
    /// first byte of a further request on a kept-alive connection.
    public var headerTimeout: Duration = .seconds(10)
    /// How long a request has to send its whole body, counted from the end of its head: a total, so a
    /// body that drips a byte at a time cannot hold the connection.
    public var bodyTimeout: Duration = .seconds(30)
    /// How long a kept-alive connection may wait for its next request.
    public var idleTimeout: Duration = .seconds(30)
    /// Connections open at once; past it the listener stops accepting until one closes.
    public var maxConnections = 512

    public init() {}
}

public struct AdminOptions: Sendable, Hashable {
    public var listen = ListenAddress(host: "127.0.0.1", port: 8081)
    /// Bearer token every admin route requires. Without one the admin listener does not start.
    public var token: Secret?

    public init() {}
}

public struct WorkerOptions: Sendable, Hashable {
    public var concurrency = 8
    public var lease: Duration = .seconds(30)
    public var backoffBase: Duration = .seconds(1)
    public var backoffMax: Duration = .seconds(1_800)
    public var maxAttempts = 12
    /// How long a stopping worker lets in-flight fetches finish before releasing them.
    public var shutdownGrace: Duration = .seconds(10)

    public init() {}

    public var retryStrategy: RetryStrategy {
        .exponentialJitter(maxAttempts: maxAttempts, base: backoffBase, maxBackoff: backoffMax)
    }
}

public struct SourceConfiguration: Sendable, Hashable {
    /// The URL segment of `/hooks/{name}` and the source name in every envelope.
    public var name: String
    public var kind: ProviderKind
    /// The secret the provider puts in the URL (`?token=`) or an `Authorization: Bearer` header.
    public var webhookToken: Secret?
    /// Standard Webhooks signing secrets (`whsec_…`); several while a key is being rotated.
    public var signingSecrets: [Secret]
    /// If not empty, only these networks may deliver.
    public var allowCIDRs: [IPNetwork]
    /// The provider's API, as `api:` gives it: `base_url` and the kind's credentials.
    public var api: [String: ConfigValue]
    /// How hard the worker may use that API, read from the same `api:` section.
    public var limits: SourceLimits
    public var reconcile: ReconcileOptions

    public init(
        name: String, kind: ProviderKind, webhookToken: Secret? = nil, signingSecrets: [Secret] = [], allowCIDRs: [IPNetwork] = [],
        api: [String: ConfigValue] = [:], limits: SourceLimits = SourceLimits(), reconcile: ReconcileOptions = ReconcileOptions()
    ) {
        self.name = name
        self.kind = kind
        self.webhookToken = webhookToken
        self.signingSecrets = signingSecrets
        self.allowCIDRs = allowCIDRs
        self.api = api
        self.limits = limits
        self.reconcile = reconcile
    }
}

/// A source's API budget and failure handling: `limits` (windows every process shares),
/// `max_parallel`, timeouts and the circuit breaker, with each provider kind's documented limits as
/// defaults.
public struct SourceLimits: Sendable, Hashable {
    /// At most N requests in any span of W, for every window at once, across every process.
    public var windows = [BudgetWindow(requests: 10, per: .seconds(1))]
    /// Requests in flight at once to the source, across every process.
    public var maxParallel = 8
    /// Consecutive failed fetches (5xx, timeouts) that open the source's circuit.
    public var circuitFailures = 5
    /// How long an open circuit waits before a probe; doubled after each failed probe, up to 10 minutes.
    public var circuitCooldown: Duration = .seconds(30)
    public var connectTimeout: Duration = .seconds(5)
    public var readTimeout: Duration = .seconds(30)

    public init() {}

    public var budget: SourceBudget { SourceBudget(windows: windows, maxParallel: maxParallel) }

    /// Reads the limits from an `api:` section: `windows` is its `limits:` list (nil when absent),
    /// `defaultWindows` the kind's. `problem(key, message)` hears about each bad value, `warning`
    /// about each deprecated one.
    init(
        api: [String: ConfigValue], windows listed: [String]?, defaultWindows: [String],
        problem: (String, String) -> Void, warning: (String, String) -> Void
    ) {
        func text(_ key: String) -> String? { api[key]?.value }
        func duration(_ key: String, _ keyPath: WritableKeyPath<SourceLimits, Duration>) {
            guard let value = text(key) else { return }
            if let parsed = HumanDuration.parse(value), parsed > .zero { self[keyPath: keyPath] = parsed }
            else { problem(key, "\"\(value)\" is not a duration (e.g. 5s)") }
        }
        func count(_ key: String, _ keyPath: WritableKeyPath<SourceLimits, Int>) {
            guard let value = text(key) else { return }
            if let parsed = Int(value), parsed >= 1 { self[keyPath: keyPath] = parsed }
            else { problem(key, "\"\(value)\" is not a whole number of at least 1") }
        }
        duration("connect_timeout", \.connectTimeout)
        duration("read_timeout", \.readTimeout)
        duration("circuit_cooldown", \.circuitCooldown)
        count("max_parallel", \.maxParallel)
        count("circuit_failures", \.circuitFailures)

        func parse(_ texts: [String], key: (Int) -> String) -> [BudgetWindow] {
            texts.enumerated().compactMap { index, text in
                guard let window = BudgetWindow(parsing: text) else {
                    problem(key(index), "\"\(text)\" is not a window such as 45/3s or 50000/1d (requests / duration)")
                    return nil
                }
                return window
            }
        }
        // `rate_limit` (one window) and `burst` (a token bucket's size) are from before budgets were
        // shared: a rate is read as one window; a burst means nothing to a window, which lets its
        // whole budget through at once.
        let rateLimit = text("rate_limit")
        if text("burst") != nil {
            warning("burst", "is ignored (deprecated): a window lets its whole budget through at once; to space requests out, add a short window, e.g. limits: [\"1/100ms\", \"45/3s\"]")
        }
        if let listed {
            if rateLimit != nil { problem("rate_limit", "is the deprecated form of limits: keep only limits") }
            if listed.isEmpty { problem("limits", "must list at least one window, e.g. [\"45/3s\"]") }
            windows = parse(listed) { "limits[\($0)]" }
        } else if let rateLimit {
            warning("rate_limit", "is deprecated: write limits: [\"\(rateLimit)\"] (a window shared by every process)")
            windows = parse([rateLimit]) { _ in "rate_limit" }
        } else {
            windows = defaultWindows.compactMap(BudgetWindow.init(parsing:))
        }
    }
}

public struct ReconcileOptions: Sendable, Hashable {
    public var types: [String] = []
    /// How far before the saved watermark each pass starts listing.
    public var lookback: Duration = .seconds(7_200)
    /// The watermark never advances past the pass's start minus this.
    public var maxClockSkew: Duration = .seconds(300)

    public init() {}
}

public enum SinkConfiguration: Sendable, Hashable {
    /// The latest copy of each entity in a local SQLite file.
    case mirror(database: String)
    /// POST each synced entity to `url`, signed per Standard Webhooks with `secret`.
    case http(url: String, secret: Secret)
    /// Run `command` with the entity's JSON on standard input.
    case exec(command: String)
}

/// A `host:port` to listen on.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `127.0.0.1:8080`, `[::1]:8080` or `:8080` (all interfaces).
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65_535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.init(host: host.isEmpty ? "0.0.0.0" : host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A configuration value that must never be printed or logged: its description is a mask.
///
/// A secret may also be *unset*: its environment variable was missing when a command that never reads
/// secrets (`status`, `dead-letters`, …) loaded the file, so an operator's shell need not hold every
/// credential. Reading an unset secret's `value` is a programming error and stops the process,
/// rather than send an empty token to a provider.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    private enum Storage: Sendable, Hashable {
        case value(String)
        case unset(variable: String)
    }

    private let storage: Storage

    public init(_ value: String) {
        storage = .value(value)
    }

    /// The secret from `${variable}`, which was not set; see `ConfigLoader.SecretVariables.mayBeUnset`.
    public static func unset(variable: String) -> Secret {
        Secret(storage: .unset(variable: variable))
    }

    private init(storage: Storage) {
        self.storage = storage
    }

    public var value: String {
        switch storage {
        case .value(let value): value
        case .unset(let variable):
            preconditionFailure("the secret from ${\(variable)} was read by a command that loaded the configuration without secrets")
        }
    }

    /// The environment variable it was to come from, when that was not set.
    public var unsetVariable: String? {
        if case .unset(let variable) = storage { variable } else { nil }
    }

    public var description: String { "********" }
    public var debugDescription: String { "Secret(********)" }
}

/// A value under a source's `api:` key: text or a secret, as the kind's schema declares it.
public enum ConfigValue: Sendable, Hashable, CustomStringConvertible {
    case text(String)
    case secret(Secret)

    public var value: String {
        switch self {
        case .text(let text): text
        case .secret(let secret): secret.value
        }
    }

    public var description: String {
        switch self {
        case .text(let text): text
        case .secret(let secret): secret.description
        }
    }
}
