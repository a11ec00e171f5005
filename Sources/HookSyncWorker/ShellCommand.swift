import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `sh -c <command>` with `input` on its standard input, in a process group of its own so that a
/// timeout stops the command and everything it started.
///
/// Not Foundation's `Process`: on Linux it reports an exit only once every process that inherited the
/// child's descriptors has exited, so a hung command's grandchild would hold the caller past any
/// timeout; and it cannot start the child in a new process group, which killing the whole command needs.
///
/// ```swift
/// let outcome = try await ShellCommand.run("jq -c . >> out.jsonl", input: line, timeout: .seconds(60))
/// ```
enum ShellCommand {
    struct Outcome {
        /// The exit status; `nil` when the command was killed for running past the timeout, or by a signal.
        var exitStatus: Int32?
        var signal: Int32?
        /// The start of what it wrote to standard error.
        var standardError: String
    }

    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    /// A pipe's reader that has exited would otherwise kill the whole worker with SIGPIPE on the next write.
    private static let ignoreBrokenPipes: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    static func run(_ command: String, input: Data, timeout: Duration) async throws -> Outcome {
        _ = ignoreBrokenPipes
        var inputPipe: [Int32] = [-1, -1], errorPipe: [Int32] = [-1, -1]
        guard pipe(&inputPipe) == 0, pipe(&errorPipe) == 0 else { throw SpawnError(description: "pipe failed: errno \(errno)") }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inputPipe[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        for descriptor in inputPipe + errorPipe { posix_spawn_file_actions_addclose(&actions, descriptor) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)

        let arguments: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup(command)]
        defer { for argument in arguments { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, arguments + [nil], environ)
        close(inputPipe[0])
        close(errorPipe[1])
        guard spawned == 0 else {
            close(inputPipe[1])
            close(errorPipe[0])
            throw SpawnError(description: "could not start /bin/sh: errno \(spawned)")
        }

        // Written off the cooperative pool: a command that does not read its input blocks the write,
        // until it exits or is killed (then the write fails with EPIPE and the thread ends).
        let writer = inputPipe[1]
        Thread.detachNewThread {
            input.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(writer, bytes.baseAddress! + offset, bytes.count - offset)
                    if written <= 0 { break }
                    offset += written
                }
            }
            close(writer)
        }

        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        var timedOut = false
        var pause = Duration.milliseconds(1)
        while waitpid(pid, &status, WNOHANG) == 0 {
            if ContinuousClock.now >= deadline {
                kill(-pid, SIGKILL)
                timedOut = true
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                break
            }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(10))
        }

        let errors = readAvailable(errorPipe[0], limit: 4_096)
        close(errorPipe[0])
        let signalNumber = status & 0x7F
        return Outcome(
            exitStatus: timedOut || signalNumber != 0 ? nil : (status >> 8) & 0xFF,
            signal: timedOut ? SIGKILL : signalNumber != 0 ? signalNumber : nil,
            standardError: String(decoding: errors, as: UTF8.self))
    }

    /// What the pipe holds now, without waiting for writers that are still alive to close it.
    private static func readAvailable(_ descriptor: Int32, limit: Int) -> Data {
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        var buffer = [UInt8](repeating: 0, count: limit)
        let count = read(descriptor, &buffer, limit)
        return count > 0 ? Data(buffer[0..<count]) : Data()
    }
}
