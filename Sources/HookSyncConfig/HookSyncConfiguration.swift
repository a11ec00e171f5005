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

    public func source(named name: String) -> SourceConfiguration? {
        sources.first { $0.name == name }
    }
}

public struct QueueOptions: Sendable, Hashable {
    /// `full`: a commit is on disk before ingest answers 2xx. `normal`: survives a process crash only.
    public var synchronous: Synchronous = .full
    /// How long a process waits for another's write lock before failing.
    public var busyTimeout: Duration = .seconds(30)
    /// How long accepted events (and so duplicate detection) and finished work items are kept.
    public var retention: Duration = .seconds(7 * 86_400)

    public enum Synchronous: String, Sendable, Hashable, CaseIterable { case full, normal }

    public init() {}
}

public struct IngestOptions: Sendable, Hashable {
    public var listen = ListenAddress(host: "127.0.0.1", port: 8080)
    public var maxBodyBytes = 262_144

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

/// The providers HookSync understands, by the wire format of their webhooks and APIs.
public enum ProviderKind: String, Sendable, Hashable, CaseIterable {
    case precoro
    case economic
    case kladana
    case softledger
    case standardWebhooks = "standard-webhooks"
}

public struct SourceConfiguration: Sendable, Hashable {
    /// The URL segment of `/hooks/{name}` and the source name in every envelope.
    public var name: String
    public var kind: ProviderKind
    /// The secret the provider puts in the URL (`?token=`) or an `Authorization: Bearer` header.
    public var webhookToken: Secret?
    /// Standard Webhooks signing secrets (`whsec_…`); several while a key is being rotated.
    public var signingSecrets: [Secret]
    /// If not empty, only these networks may deliver (CIDR notation).
    public var allowCIDRs: [String]
    /// The provider's API, as `api:` gives it: `base_url` and the kind's credentials.
    public var api: [String: ConfigValue]
    public var reconcile: ReconcileOptions
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
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public let value: String

    public init(_ value: String) {
        self.value = value
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
