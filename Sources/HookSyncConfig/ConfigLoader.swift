public import Foundation
import HookSyncCore
import Yams

/// Reads `hooksync.yaml` into a `HookSyncConfiguration`.
///
/// Every string may use `${NAME}` to take an environment variable (`$${` stands for a literal `${`),
/// so secrets stay out of the file. Problems are collected, not thrown one at a time, and each names
/// its key path (`sources[1].api.token: …`), so one run of `hooksync config check` lists them all.
///
/// ```swift
/// let config = try ConfigLoader(environment: ProcessInfo.processInfo.environment).load(path: "hooksync.yaml")
/// ```
public struct ConfigLoader: Sendable {
    /// What to do with a secret (`webhook_token`, an API token, …) whose `${VAR}` is not set.
    public enum SecretVariables: Sendable {
        /// A problem, like any missing variable: for `ingest`, and `config check`.
        case required
        /// Only the secrets ingest checks callers against (`webhook_token`, `signing_secrets`,
        /// `admin.token`) may be unset, as `Secret.unset`; those sent out (provider API credentials,
        /// the HTTP sink's secret) are required: for `worker`, `reconcile` and `resync`, which call
        /// providers but never receive a webhook, so that their hosts need not hold ingest's secrets.
        case outboundRequired
        /// Every secret may be unset: for the commands that only read the queue and the mirror.
        case mayBeUnset

        func allowsUnset(_ use: SecretUse) -> Bool {
            switch self {
            case .required: false
            case .outboundRequired: use == .inbound
            case .mayBeUnset: true
            }
        }
    }

    /// Which side of the wire a secret is for.
    enum SecretUse {
        /// Checked against what callers of ingest present.
        case inbound
        /// Presented to someone else: a provider's API, the HTTP sink.
        case outbound
    }

    public var environment: [String: String]
    public var secretVariables: SecretVariables

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, secretVariables: SecretVariables = .required) {
        self.environment = environment
        self.secretVariables = secretVariables
    }

    /// Loads and validates a file. Relative paths inside it are resolved against its folder.
    public func load(path: String) throws -> HookSyncConfiguration {
        guard FileManager.default.fileExists(atPath: path) else { throw ConfigError.fileNotFound(path: path) }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError.unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        return try parse(yaml: text, file: path, baseFolder: folder)
    }

    public func parse(yaml: String, file: String = "<config>", baseFolder: URL? = nil) throws -> HookSyncConfiguration {
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch {
            throw ConfigError.invalid(file: file, problems: ["not valid YAML: \(error)"])
        }
        let problems = ProblemList()
        let reader = MappingReader(
            node: root ?? Node([(Node, Node)]()), path: "", environment: environment, secretVariables: secretVariables, problems: problems)
        let built = ConfigurationBuilder(baseFolder: baseFolder).build(reader)
        guard problems.messages.isEmpty, var config = built else {
            throw ConfigError.invalid(file: file, problems: problems.messages)
        }
        config.warnings = problems.warnings
        return config
    }
}

/// Why a configuration could not be used. Each message names the file and, per problem, the key.
public enum ConfigError: Error, CustomStringConvertible, Equatable {
    case fileNotFound(path: String)
    case unreadable(path: String, reason: String)
    case invalid(file: String, problems: [String])

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            "config file \(path) not found: pass --config FILE or set HOOKSYNC_CONFIG (hooksync.example.yaml is a starting point)"
        case .unreadable(let path, let reason):
            "config file \(path) cannot be read: \(reason)"
        case .invalid(let file, let problems):
            "config file \(file) is invalid:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
        }
    }
}

/// Gathers problems (which make the file invalid) and warnings (which do not) from every reader of one load.
final class ProblemList {
    var messages: [String] = []
    var warnings: [String] = []

    func add(_ path: String, _ message: String) {
        messages.append(path.isEmpty ? message : "\(path): \(message)")
    }

    func warn(_ path: String, _ message: String) {
        warnings.append(path.isEmpty ? message : "\(path): \(message)")
    }
}

/// Reads one YAML mapping, remembering which keys were asked for so the rest can be reported as unknown.
final class MappingReader {
    let path: String
    let environment: [String: String]
    let secretVariables: ConfigLoader.SecretVariables
    let problems: ProblemList
    private var pairs: [(key: String, value: Node)] = []
    private var consumed: Set<String> = []

    init(node: Node, path: String, environment: [String: String], secretVariables: ConfigLoader.SecretVariables, problems: ProblemList) {
        self.path = path
        self.environment = environment
        self.secretVariables = secretVariables
        self.problems = problems
        guard let mapping = node.mapping else {
            problems.add(path, "expected a mapping of keys to values")
            return
        }
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                problems.add(path, "keys must be plain text")
                continue
            }
            pairs.append((name, value))
        }
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func node(_ key: String) -> Node? {
        consumed.insert(key)
        return pairs.first { $0.key == key }?.value
    }

    /// A string with `${VAR}` substituted; records a problem and returns nil when it cannot be had.
    func string(_ key: String, required: Bool = false) -> String? {
        guard let node = node(key) else {
            if required { problems.add(keyPath(key), "is required") }
            return nil
        }
        return Self.string(node, path: keyPath(key), environment: environment, problems: problems)
    }

    static func string(_ node: Node, path: String, environment: [String: String], problems: ProblemList) -> String? {
        guard let scalar = node.scalar else {
            problems.add(path, "expected a single value")
            return nil
        }
        do {
            return try EnvironmentInterpolation.expand(scalar.string, environment: environment)
        } catch {
            problems.add(path, "\(error)")
            return nil
        }
    }

    func secret(_ key: String, use: ConfigLoader.SecretUse, required: Bool = false) -> Secret? {
        guard let node = node(key) else {
            if required { problems.add(keyPath(key), "is required") }
            return nil
        }
        return Self.secret(node, path: keyPath(key), use: use, environment: environment, secretVariables: secretVariables, problems: problems)
    }

    /// A list of secrets (`signing_secrets`), each read as `secret(_:)` reads one.
    func secrets(_ key: String, use: ConfigLoader.SecretUse) -> [Secret] {
        (sequence(key) ?? []).compactMap {
            Self.secret($0.node, path: $0.path, use: use, environment: environment, secretVariables: secretVariables, problems: problems)
        }
    }

    static func secret(
        _ node: Node, path: String, use: ConfigLoader.SecretUse, environment: [String: String],
        secretVariables: ConfigLoader.SecretVariables, problems: ProblemList
    ) -> Secret? {
        guard let scalar = node.scalar else {
            problems.add(path, "expected a single value")
            return nil
        }
        let text: String
        do {
            text = try EnvironmentInterpolation.expand(scalar.string, environment: environment)
        } catch let missing as EnvironmentInterpolation.MissingVariable where secretVariables.allowsUnset(use) {
            return .unset(variable: missing.name)
        } catch {
            problems.add(path, "\(error)")
            return nil
        }
        guard !text.isEmpty else {
            problems.add(path, "is empty")
            return nil
        }
        return Secret(text)
    }

    func duration(_ key: String, default value: Duration) -> Duration {
        guard let text = string(key) else { return value }
        guard let duration = HumanDuration.parse(text), duration > .zero else {
            problems.add(keyPath(key), "\"\(text)\" is not a duration: write a whole number and a unit, e.g. 50ms, 2s, 10m, 2h, 7d")
            return value
        }
        return duration
    }

    func integer(_ key: String, default value: Int, range: ClosedRange<Int>) -> Int {
        guard let text = string(key) else { return value }
        guard let number = Int(text), range.contains(number) else {
            problems.add(keyPath(key), "\"\(text)\" is not a whole number in \(range.lowerBound)...\(range.upperBound)")
            return value
        }
        return number
    }

    func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, default value: Choice?) -> Choice?
    where Choice.RawValue == String {
        guard let text = string(key, required: value == nil) else { return value }
        guard let choice = Choice(rawValue: text) else {
            let allowed = Choice.allCases.map(\.rawValue).joined(separator: " | ")
            problems.add(keyPath(key), "\"\(text)\" is not one of \(allowed)")
            return value
        }
        return choice
    }

    func listen(_ key: String, default value: ListenAddress) -> ListenAddress {
        guard let text = string(key) else { return value }
        guard let address = ListenAddress(parsing: text) else {
            problems.add(keyPath(key), "\"\(text)\" is not host:port (e.g. 127.0.0.1:8080)")
            return value
        }
        return address
    }

    func mapping(_ key: String) -> MappingReader? {
        guard let node = node(key) else { return nil }
        return MappingReader(node: node, path: keyPath(key), environment: environment, secretVariables: secretVariables, problems: problems)
    }

    func sequence(_ key: String) -> [(path: String, node: Node)]? {
        guard let node = node(key) else { return nil }
        guard let sequence = node.sequence else {
            problems.add(keyPath(key), "expected a list")
            return nil
        }
        return sequence.enumerated().map { ("\(keyPath(key))[\($0.offset)]", $0.element) }
    }

    func strings(_ key: String) -> [String] {
        (sequence(key) ?? []).compactMap { Self.string($0.node, path: $0.path, environment: environment, problems: problems) }
    }

    /// The keys present but never asked for, with the ones that were allowed.
    func rejectUnknownKeys() {
        let allowed = consumed.sorted().joined(separator: ", ")
        for (key, _) in pairs where !consumed.contains(key) {
            problems.add(keyPath(key), "unknown key (allowed here: \(allowed))")
        }
    }

    var keys: [String] { pairs.map(\.key) }
}

/// `${NAME}` substitution from the environment.
enum EnvironmentInterpolation {
    struct MissingVariable: Error, CustomStringConvertible {
        var name: String
        var description: String { "environment variable \(name) is not set" }
    }

    struct Malformed: Error, CustomStringConvertible {
        var text: String
        var description: String { "unterminated ${ in \"\(text)\"" }
    }

    static func expand(_ text: String, environment: [String: String]) throws -> String {
        guard text.contains("$") else { return text }
        var result = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.hasPrefix("${") {
                result += "${"
                rest = after.dropFirst(2)
            } else if after.hasPrefix("{") {
                guard let close = after.firstIndex(of: "}") else { throw Malformed(text: text) }
                let name = String(after[after.index(after: after.startIndex)..<close])
                guard let value = environment[name] else { throw MissingVariable(name: name) }
                result += value
                rest = after[after.index(after: close)...]
            } else {
                result += "$"
                rest = after
            }
        }
        return result + rest
    }
}
