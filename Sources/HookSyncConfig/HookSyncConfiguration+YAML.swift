import HookSyncCore
import Yams

extension HookSyncConfiguration {
    /// The effective configuration as YAML: every default written out, every secret masked.
    /// What `hooksync config check` prints.
    public func effectiveYAML() throws -> String {
        func text(_ value: String) -> Node { Node(value) }
        func mapping(_ pairs: [(String, Node)]) -> Node { Node(pairs.map { (Node($0.0), $0.1) }) }
        func secret(_ value: Secret?) -> Node { Node(value.map(\.description) ?? "(not set)") }
        func duration(_ value: Duration) -> Node { Node(HumanDuration.format(value)) }

        let sinkNode: Node = switch sink {
        case .mirror(let database): mapping([("kind", text("mirror")), ("database", text(database))])
        case .http(let url, let secretValue): mapping([("kind", text("http")), ("url", text(url)), ("secret", secret(secretValue))])
        case .exec(let command): mapping([("kind", text("exec")), ("command", text(command))])
        }

        let root = mapping([
            ("database", text(database)),
            ("queue", mapping([
                ("synchronous", text(queue.synchronous.rawValue)),
                ("busy_timeout", duration(queue.busyTimeout)),
                ("retention", duration(queue.retention)),
            ])),
            ("ingest", mapping([
                ("listen", text(ingest.listen.description)),
                ("max_body_bytes", text(String(ingest.maxBodyBytes))),
                ("header_timeout", duration(ingest.headerTimeout)),
                ("body_timeout", duration(ingest.bodyTimeout)),
                ("idle_timeout", duration(ingest.idleTimeout)),
                ("max_connections", text(String(ingest.maxConnections))),
            ])),
            ("admin", mapping([("listen", text(admin.listen.description)), ("token", secret(admin.token))])),
            ("worker", mapping([
                ("concurrency", text(String(worker.concurrency))),
                ("lease", duration(worker.lease)),
                ("backoff_base", duration(worker.backoffBase)),
                ("backoff_max", duration(worker.backoffMax)),
                ("max_attempts", text(String(worker.maxAttempts))),
                ("shutdown_grace", duration(worker.shutdownGrace)),
            ])),
            ("sources", Node(sources.map { source in
                mapping([
                    ("name", text(source.name)),
                    ("kind", text(source.kind.rawValue)),
                    ("webhook_token", secret(source.webhookToken)),
                    ("signing_secrets", Node(source.signingSecrets.map { secret($0) })),
                    ("allow_cidrs", Node(source.allowCIDRs.map { text($0.description) })),
                    ("api", mapping(source.api.sorted { $0.key < $1.key }.map { ($0.key, text($0.value.description)) })),
                    ("reconcile", mapping([
                        ("types", Node(source.reconcile.types.map(text))),
                        ("lookback", duration(source.reconcile.lookback)),
                        ("max_clock_skew", duration(source.reconcile.maxClockSkew)),
                    ])),
                ])
            })),
            ("sink", sinkNode),
        ])
        return try Yams.serialize(node: root)
    }
}
