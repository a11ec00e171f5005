import Foundation
import HookSyncCore
import Yams

/// Turns the readers' values into a configuration: defaults, cross-key rules and path resolution.
struct ConfigurationBuilder {
    var baseFolder: URL?

    func build(_ root: MappingReader) -> HookSyncConfiguration? {
        let database = resolve(root.string("database") ?? "./data/hooksync.sqlite")

        var queue = QueueOptions()
        if let reader = root.mapping("queue") {
            queue.synchronous = reader.choice("synchronous", default: queue.synchronous) ?? .full
            queue.busyTimeout = reader.duration("busy_timeout", default: queue.busyTimeout)
            queue.retention = reader.duration("retention", default: queue.retention)
            reader.rejectUnknownKeys()
        }

        var ingest = IngestOptions()
        if let reader = root.mapping("ingest") {
            ingest.listen = reader.listen("listen", default: ingest.listen)
            ingest.maxBodyBytes = reader.integer("max_body_bytes", default: ingest.maxBodyBytes, range: 1_024...67_108_864)
            ingest.headerTimeout = reader.duration("header_timeout", default: ingest.headerTimeout)
            ingest.bodyTimeout = reader.duration("body_timeout", default: ingest.bodyTimeout)
            ingest.idleTimeout = reader.duration("idle_timeout", default: ingest.idleTimeout)
            ingest.maxConnections = reader.integer("max_connections", default: ingest.maxConnections, range: 1...1_000_000)
            reader.rejectUnknownKeys()
        }

        var admin = AdminOptions()
        if let reader = root.mapping("admin") {
            admin.listen = reader.listen("listen", default: admin.listen)
            admin.token = reader.secret("token", use: .inbound)
            SecretChecks.token(admin.token, at: reader.keyPath("token"), problems: reader.problems)
            reader.rejectUnknownKeys()
        }

        var worker = WorkerOptions()
        if let reader = root.mapping("worker") {
            worker.concurrency = reader.integer("concurrency", default: worker.concurrency, range: 1...1_024)
            worker.lease = reader.duration("lease", default: worker.lease)
            worker.backoffBase = reader.duration("backoff_base", default: worker.backoffBase)
            worker.backoffMax = reader.duration("backoff_max", default: worker.backoffMax)
            worker.maxAttempts = reader.integer("max_attempts", default: worker.maxAttempts, range: 1...1_000)
            worker.shutdownGrace = reader.duration("shutdown_grace", default: worker.shutdownGrace)
            if worker.backoffMax < worker.backoffBase {
                reader.problems.add(reader.keyPath("backoff_max"), "must not be shorter than backoff_base")
            }
            reader.rejectUnknownKeys()
        }

        let sources = (root.sequence("sources") ?? []).compactMap { entry in
            source(MappingReader(
                node: entry.node, path: entry.path, environment: root.environment, secretVariables: root.secretVariables, problems: root.problems))
        }
        var seen: Set<String> = []
        for source in sources where !seen.insert(source.name).inserted {
            root.problems.add("sources", "two sources are named \"\(source.name)\"; names must be unique")
        }

        let sink = root.mapping("sink").map { self.sink($0, queueDatabase: database) } ?? SinkConfiguration.mirror(database: mirrorPath(next: database))
        root.rejectUnknownKeys()

        return HookSyncConfiguration(
            database: database, queue: queue, ingest: ingest, admin: admin, worker: worker, sources: sources,
            sink: sink ?? .mirror(database: mirrorPath(next: database)))
    }

    func source(_ reader: MappingReader) -> SourceConfiguration? {
        let name = reader.string("name", required: true)
        if let name, name.range(of: "^[a-z0-9][a-z0-9_-]*$", options: .regularExpression) == nil {
            reader.problems.add(reader.keyPath("name"), "\"\(name)\" must be lowercase letters, digits, - or _ (it is a URL segment)")
        }
        let kind: ProviderKind? = reader.choice("kind", default: nil)
        let webhookToken = reader.secret("webhook_token", use: .inbound, required: kind != .standardWebhooks)
        SecretChecks.token(webhookToken, at: reader.keyPath("webhook_token"), problems: reader.problems)
        let signingSecrets = reader.secrets("signing_secrets", use: .inbound)
        for (index, secret) in signingSecrets.enumerated() {
            SecretChecks.signingSecret(secret, at: "\(reader.keyPath("signing_secrets"))[\(index)]", problems: reader.problems)
        }
        if kind == .standardWebhooks && signingSecrets.isEmpty && webhookToken == nil {
            reader.problems.add(reader.keyPath("signing_secrets"), "a standard-webhooks source needs signing secrets (whsec_…) or a webhook_token")
        }
        if kind != nil && kind != .standardWebhooks && !signingSecrets.isEmpty {
            reader.problems.add(reader.keyPath("signing_secrets"), "only standard-webhooks sources sign their requests")
        }
        var allowCIDRs: [IPNetwork] = []
        for (index, cidr) in reader.strings("allow_cidrs").enumerated() {
            guard let network = IPNetwork(cidr) else {
                reader.problems.add(
                    "\(reader.keyPath("allow_cidrs"))[\(index)]", "\"\(cidr)\" is not an address/prefix such as 10.0.0.0/8 or 2001:db8::/32")
                continue
            }
            allowCIDRs.append(network)
        }

        var api: [String: ConfigValue] = [:]
        var limits = SourceLimits()
        if let kind {
            let apiReader = reader.mapping("api")
            if apiReader == nil { reader.problems.add(reader.keyPath("api"), "is required: the worker fetches entities through it") }
            for key in ProviderAPISchema.forKind(kind).keys {
                if key.secret, let secret = apiReader?.secret(key.name, use: .outbound, required: key.required) {
                    api[key.name] = .secret(secret)
                } else if !key.secret, let text = apiReader?.string(key.name, required: key.required) ?? key.defaultValue {
                    api[key.name] = .text(text)
                }
            }
            let listed = apiReader?.node("limits") != nil ? apiReader?.strings("limits") : nil
            limits = SourceLimits(
                api: api, windows: listed, defaultWindows: ProviderAPISchema.forKind(kind).limits,
                problem: { key, message in reader.problems.add("\(reader.keyPath("api")).\(key)", message) },
                warning: { key, message in reader.problems.warn("\(reader.keyPath("api")).\(key)", message) })
            apiReader?.rejectUnknownKeys()
        }

        var reconcile = ReconcileOptions()
        if let reconcileReader = reader.mapping("reconcile") {
            reconcile.types = reconcileReader.strings("types")
            reconcile.lookback = reconcileReader.duration("lookback", default: reconcile.lookback)
            reconcile.maxClockSkew = reconcileReader.duration("max_clock_skew", default: reconcile.maxClockSkew)
            reconcileReader.rejectUnknownKeys()
        }
        reader.rejectUnknownKeys()

        guard let name, let kind else { return nil }
        return SourceConfiguration(
            name: name, kind: kind, webhookToken: webhookToken, signingSecrets: signingSecrets,
            allowCIDRs: allowCIDRs, api: api, limits: limits, reconcile: reconcile)
    }

    func sink(_ reader: MappingReader, queueDatabase: String) -> SinkConfiguration? {
        enum Kind: String, CaseIterable { case mirror, http, exec }
        let kind: Kind? = reader.choice("kind", default: .mirror)
        defer { reader.rejectUnknownKeys() }
        switch kind {
        case .mirror:
            return .mirror(database: reader.string("database").map(resolve) ?? mirrorPath(next: queueDatabase))
        case .http:
            let url = reader.string("url", required: true)
            if let url, URL(string: url)?.scheme?.hasPrefix("http") != true {
                reader.problems.add(reader.keyPath("url"), "\"\(url)\" is not an http(s) URL")
            }
            guard let url, let secret = reader.secret("secret", use: .outbound, required: true) else { return nil }
            return .http(url: url, secret: secret)
        case .exec:
            guard let command = reader.string("command", required: true) else { return nil }
            return .exec(command: command)
        case nil:
            return nil
        }
    }

    /// The mirror's default file sits beside the queue's, so that mirror writes never hold the queue's lock.
    func mirrorPath(next database: String) -> String {
        URL(fileURLWithPath: database).deletingLastPathComponent().appending(path: "mirror.sqlite").path
    }

    func resolve(_ path: String) -> String {
        guard !path.hasPrefix("/"), let baseFolder else { return path }
        return baseFolder.appending(path: path).standardizedFileURL.path
    }
}
