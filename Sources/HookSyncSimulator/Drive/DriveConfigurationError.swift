/// A drive's plan, faults or target that cannot work, with a message that names the setting, e.g.
/// `drop_rate must be between 0 and 1, got 1.5`. The CLI and `POST /_sim/drive` show it as it is.
public struct DriveConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }

    /// Checks that a share is a probability.
    static func checkRate(_ value: Double, _ name: String) throws(DriveConfigurationError) {
        guard (0...1).contains(value) else { throw DriveConfigurationError("\(name) must be between 0 and 1, got \(value)") }
    }
}
