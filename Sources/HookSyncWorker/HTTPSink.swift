import AsyncHTTPClient
import Foundation
import HookSyncCore
import HookSyncProviders
import NIOCore
import NIOHTTP1

/// Delivers each synced entity to a downstream HTTP endpoint as a Standard Webhooks message, signed
/// with `sink.secret`, so the receiver can verify it with any Standard Webhooks library.
///
/// The body is `{"type": "entity.synced" | "entity.deleted", "timestamp": …, "data": <EntityDocument>}`;
/// `webhook-id` is stable for one version of one entity (its modification time and a hash of its JSON,
/// since two versions can share a time), so a redelivery after a crash is recognisable and a second
/// change within one second is not taken for one.
/// A 2xx is success; anything else throws, and the worker retries with backoff.
///
/// ```swift
/// let sink = HTTPSink(url: "https://example.com/hooksync", secret: "whsec_…", transport: transport)
/// ```
struct HTTPSink: Sink {
    let url: String
    let signer: StandardWebhooksVerifier
    let transport: any HTTPTransport

    init(url: String, secret: String, transport: any HTTPTransport) {
        self.url = url
        self.signer = StandardWebhooksVerifier(secrets: [secret])
        self.transport = transport
    }

    func write(_ records: [SyncRecord]) async throws {
        for record in records { try await deliver(record) }
    }

    private func deliver(_ record: SyncRecord) async throws {
        let document = EntityDocument(record)
        // Keys in sorted order, as the entity document's own.
        let body = Data((#"{"data":"# + document.jsonLine() + #","timestamp":""# + EntityDocument.timestamp(record.syncedAt)
            + #"","type":""# + (record.isDeleted ? "entity.deleted" : "entity.synced") + #""}"#).utf8)
        var version = document.remoteModifiedAt.map { String(Int64($0.timeIntervalSince1970 * 1000)) } ?? (record.isDeleted ? "deleted" : "unversioned")
        if let data = document.data { version += "_" + Self.fingerprint(data) }
        let id = "sync_\(record.key.source)_\(record.key.type)_\(record.key.id)_\(version)"
        let timestamp = String(Int64(Date().timeIntervalSince1970))
        let response = try await transport.send(APIRequest(method: "POST", url: url, headers: [
            "Content-Type": "application/json", "webhook-id": id, "webhook-timestamp": timestamp,
            "webhook-signature": signer.sign(id: id, timestamp: timestamp, body: body),
        ], body: body))
        guard (200..<300).contains(response.status) else {
            throw SinkError("downstream \(url) answered \(response.status): \(response.bodyText)")
        }
    }

    /// FNV-1a, 64 bits, in hex: tells apart two versions that share a modification time.
    static func fingerprint(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return String(hash, radix: 16)
    }
}

/// Hands each synced entity to a command: `sh -c <command>` with the entity's JSON line on standard
/// input. Exit status 0 is success; anything else throws, and the worker retries with backoff.
///
/// ```yaml
/// sink: { kind: exec, command: "jq -c . >> /var/lib/hooksync/entities.jsonl" }
/// ```
struct ExecSink: Sink {
    let command: String
    /// A command that runs longer is killed and counted as a failure.
    let timeout: Duration

    func write(_ records: [SyncRecord]) async throws {
        for record in records { try await run(input: EntityDocument(record).jsonLine() + "\n") }
    }

    /// Writing to a command that has exited must fail the write, not kill the worker with SIGPIPE.
    private static let ignoreBrokenPipes: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    private func run(input: String) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let stdin = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { process in
            exited.continuation.yield(process.terminationStatus)
            exited.continuation.finish()
        }
        _ = Self.ignoreBrokenPipes
        try process.run()
        // A command may exit without reading its input: the write then fails (EPIPE), and the exit
        // status below says what happened. The non-throwing `write(_:)` would trap on it.
        try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
        try? stdin.fileHandleForWriting.close()
        let timer = Task {
            try await Task.sleep(for: timeout)
            process.terminate()
            return true
        }
        var status: Int32 = -1
        // Foundation on Linux reports the exit once every process holding the child's descriptors
        // is gone, so a killed command's own children can delay this past the timeout.
        for await code in exited.stream { status = code }
        timer.cancel()
        if (try? await timer.value) == true {
            throw SinkError("sink command did not finish within \(timeout) and was stopped")
        }
        guard status == 0 else {
            let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile().prefix(500), as: UTF8.self)
            throw SinkError("sink command exited with status \(status)" + (message.isEmpty ? "" : ": \(message)"))
        }
    }
}

/// A sink refused a record; the message says who and why.
struct SinkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
