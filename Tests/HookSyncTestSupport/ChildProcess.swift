public import Foundation

/// Where `swift build` put the package's executables: beside the running test bundle.
public enum BuildProducts {
    public static func executable(_ name: String) -> String {
        let bundleFolder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let selfExe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        for folder in [selfExe, bundleFolder] where FileManager.default.isExecutableFile(atPath: folder.appending(path: name).path) {
            return folder.appending(path: name).path
        }
        return selfExe.appending(path: name).path
    }
}

/// A child process with captured output, for tests whose subject is processes.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: `process` and the pipes are only touched by the test that owns this value, and
    // Process itself is thread-safe for the calls made here (run, waitUntilExit, terminate, pid).
    let process = Process()
    let output = Pipe()
    let errors = Pipe()

    public struct Result: Sendable {
        public var status: Int32
        public var standardOutput: String
        public var standardError: String
    }

    public static func start(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ChildProcess {
        let child = ChildProcess()
        child.process.executableURL = URL(fileURLWithPath: executable)
        child.process.arguments = arguments
        if let environment { child.process.environment = environment }
        child.process.standardOutput = child.output
        child.process.standardError = child.errors
        try child.process.run()
        return child
    }

    public var pid: Int32 { process.processIdentifier }

    // A test that fails (throws) before it stops its children must not leave them running: they
    // would load every later test on this small machine.
    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    public func kill(_ signal: Int32) {
        _ = Foundation.kill(process.processIdentifier, signal)
    }

    /// Waits for exit, reading both pipes as it goes so a chatty child cannot block on a full pipe.
    public func wait(timeout: Duration) async throws -> Result {
        let outputTask = Task { [output] in await Self.readToEnd(output.fileHandleForReading) }
        let errorTask = Task { [errors] in await Self.readToEnd(errors.fileHandleForReading) }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                throw ChildProcessTimeout(command: process.executableURL?.lastPathComponent ?? "?", timeout: timeout)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return Result(
            status: process.terminationStatus,
            standardOutput: String(decoding: await outputTask.value, as: UTF8.self),
            standardError: String(decoding: await errorTask.value, as: UTF8.self))
    }
}

extension ChildProcess {
    /// Reads a pipe to its end on a thread of its own. A blocking read on the concurrency pool holds
    /// one of its threads (two, on a 2-core machine) until the child exits, and with both held nothing
    /// else in the test process runs: a child talking to the in-process simulator then waits forever
    /// for an answer.
    static func readToEnd(_ handle: FileHandle) async -> Data {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: handle.readDataToEndOfFile()) }.start()
        }
    }
}

public struct ChildProcessTimeout: Error, CustomStringConvertible {
    public var command: String
    public var timeout: Duration

    public init(command: String, timeout: Duration) {
        self.command = command
        self.timeout = timeout
    }

    public var description: String { "\(command) did not exit within \(timeout)" }
}

/// A fresh folder under the system's temporary directory, for one test's files.
public func makeTemporaryFolder(_ prefix: String) throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appending(path: "\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}
