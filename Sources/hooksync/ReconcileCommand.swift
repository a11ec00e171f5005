import ArgumentParser
import Foundation
import HookSyncApp
import HookSyncConfig
import HookSyncCore
import HookSyncProviders
import HookSyncSQLite
import HookSyncWorker
import Logging
import Synchronization
import UnixSignals

/// What `reconcile` and `resync` share: which passes to run, and running them with progress and a summary.
struct ReconcileOptions: ParsableArguments {
    @Option(help: "Only this source.") var source: String?
    @Option(help: "Only this entity type (default: the source's reconcile.types).") var type: String?
    @Option(help: ArgumentHelp("Take over a running pass whose holder has not been heard from for this long (it died).", valueName: "duration"))
    var lockTimeout = "5m"
}

struct ReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Catch what webhooks missed: list each source's changes since its watermark and sync them.",
        discussion: """
            For every (source, type) under a source's reconcile.types: list the entities modified since the \
            saved watermark minus reconcile.lookback, write those newer than the mirror's copy to the sink \
            (with another sink.kind, every listed entity), then move the watermark to the pass's start minus \
            reconcile.max_clock_skew. Resyncs requested through POST /admin/resync and not yet taken by a \
            worker run first. Meant for cron (see scripts/deploy/crontab.example).

            One pass per (source, type) at a time: a second one exits 1 saying who holds it. Ctrl-C or SIGTERM \
            stops a pass after the page in hand and lets go of it (exit 130 or 143); a pass whose process was \
            killed on this host is noticed at once; one whose holder elsewhere went silent is taken over after \
            --lock-timeout. Each is resumed by the next run from its last committed page. \
            Exits 1 if any pass fails, with the reason.
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var selection: ReconcileOptions

    func run() async throws {
        let runner = try ReconcileRunner(options: options, selection: selection, label: "hooksync.reconcile")
        var plans: [ReconcileTarget] = []
        for request in try await runner.store.takeResyncRequests(now: Date()) {
            guard let targets = request.targets(in: runner.config) else {
                runner.logger.warning("ignoring a resync request for an unknown source", metadata: ["source": "\(request.source)"])
                continue
            }
            plans += targets
        }
        plans += try runner.targets()
        guard !plans.isEmpty else { throw CommandFailure(runner.nothingSelected(verb: "reconcile", configPath: options.configPath)) }
        try await runner.run(plans)
    }
}

struct ResyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resync",
        abstract: "Resync by hand: from a time, or in full (which also finds deletions).",
        discussion: """
            --since TIME lists entities modified since then (ISO 8601, e.g. 2026-11-01T00:00:00Z). --full lists \
            every entity and tombstones mirrored ones the provider no longer has; deletions are only ever \
            inferred from a full listing, and only with sink.kind: mirror (another sink gets every listed \
            entity, and no deletions). Without either, runs an incremental pass, as reconcile does. \
            Without --source, resyncs every source that lists reconcile.types.
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var selection: ReconcileOptions
    @Option(help: ArgumentHelp("List entities modified since this time (ISO 8601).", valueName: "time")) var since: String?
    @Flag(help: "List everything, and tombstone what the provider no longer has.") var full = false

    func validate() throws {
        if since != nil && full { throw ValidationError("--since and --full exclude each other") }
        if let since, CivilTime.parseISO8601(since) == nil {
            throw ValidationError("--since \(since) is not an ISO 8601 time such as 2026-11-01T00:00:00Z")
        }
    }

    func run() async throws {
        let runner = try ReconcileRunner(options: options, selection: selection, label: "hooksync.resync")
        let sinceDate = since.flatMap(CivilTime.parseISO8601)
        let mode = ReconcileMode.requested(full: full, since: sinceDate)
        let targets = try runner.targets().map { ReconcileTarget(source: $0.source, type: $0.type, mode: mode, since: sinceDate) }
        guard !targets.isEmpty else { throw CommandFailure(runner.nothingSelected(verb: "resync", configPath: options.configPath)) }
        try await runner.run(targets)
    }
}

/// Opens the queue, the mirror and the sources' API clients once for a run of passes.
struct ReconcileRunner {
    let config: HookSyncConfiguration
    let store: SQLiteQueueStore
    let workspace: Workspace
    let selection: ReconcileOptions
    let lockTimeout: Duration
    let logger: Logger

    init(options: GlobalOptions, selection: ReconcileOptions, label: String) throws {
        logger = ProcessLogging.bootstrap(label: label)
        workspace = try options.loadWorkspaceForOutboundCalls()
        config = workspace.config
        store = try workspace.openStore()
        self.selection = selection
        guard let timeout = HumanDuration.parse(selection.lockTimeout), timeout > .zero else {
            throw CommandFailure("--lock-timeout \(selection.lockTimeout) is not a duration such as 5m")
        }
        lockTimeout = timeout
    }

    func sources() throws -> [SourceConfiguration] {
        guard let name = selection.source else { return config.sources }
        guard let source = config.source(named: name) else {
            throw CommandFailure("no source named \(name) in the configuration (sources: \(config.sources.map(\.name).joined(separator: ", ")))")
        }
        return [source]
    }

    /// Incremental passes for the selection: the named source's types (or the one `--type`), else every
    /// source's; `--type` alone picks the sources that list that type.
    func targets() throws -> [ReconcileTarget] {
        try sources().flatMap { source -> [ReconcileTarget] in
            let types: [String]
            if let type = selection.type {
                types = selection.source != nil || source.reconcile.types.contains(type) ? [type] : []
            } else {
                types = source.reconcile.types
            }
            return types.map { ReconcileTarget(source: source, type: $0, mode: .incremental) }
        }
    }

    /// Why the selection came to no pass at all, with what is configured.
    func nothingSelected(verb: String, configPath: String) -> String {
        let configured = config.sources.flatMap { source in source.reconcile.types.map { "\(source.name)/\($0)" } }
        let listed = configured.isEmpty ? "no source lists reconcile.types" : "reconcile.types configured: \(configured.joined(separator: ", "))"
        switch (selection.source, selection.type) {
        case (let source?, nil):
            return "nothing to \(verb): source \(source) has no reconcile.types; name a type with --type (\(listed))"
        case (nil, let type?):
            return "nothing to \(verb): no source in \(configPath) lists \(type) under reconcile.types (\(listed)); "
                + "add --source to \(verb) a type that is not configured"
        default:
            return "nothing to \(verb): no source in \(configPath) lists reconcile.types"
        }
    }

    /// A failed pass's message, with a hint when a listing was refused for a type the source does not configure.
    static func failureMessage(_ plan: ReconcileTarget, _ error: any Error) -> String {
        var message = "\(plan.source.name)/\(plan.type): \(error)"
        if case ReconcileError.listing(_, _, .rejected) = error, !plan.source.reconcile.types.contains(plan.type) {
            message += " (\(plan.type) is not among \(plan.source.name)'s reconcile.types: "
                + (plan.source.reconcile.types.isEmpty ? "none" : plan.source.reconcile.types.joined(separator: ", ")) + ")"
        }
        return message
    }

    func run(_ plans: [ReconcileTarget]) async throws {
        let configured = try WorkerAssembly.makeSink(config, mirrorOptions: workspace.sqliteOptions)
        let (mirror, sink) = (configured.mirror, configured.sink)
        if mirror == nil {
            FileHandle.standardError.write(Data("""
                hooksync: the sink is not the mirror, so there is no local copy to compare listings with: every \
                listed entity is sent to the sink, and a full pass cannot find deletions

                """.utf8))
        }
        let interruption = Interruption()
        let (events, ended) = AsyncStream.makeStream(of: Ended.self)
        let passes = Task {
            do {
                ended.yield(.passes(.success(try await runPasses(plans, mirror: mirror, sink: sink, interruption: interruption))))
            } catch {
                ended.yield(.passes(.failure(error)))
            }
        }
        let stopSignal = await Self.cancelOnSignal(passes, interruption: interruption, ended: ended)
        // A second signal ends the command at once, without waiting for the passes (the exit code
        // is 128 + the signal's number); otherwise it ends when they do.
        for await event in events {
            switch event {
            case .quitAtOnce(let signal):
                throw ExitCode(128 + signal)
            case .passes(let outcome):
                stopSignal.cancel()
                try await configured.transport?.shutdown()
                try mirror?.close()
                try store.close()
                switch try outcome.get() {
                case .interrupted(let signal): throw ExitCode(128 + signal)
                case .failed: throw ExitCode(1)
                case .succeeded: return
                }
            }
        }
    }

    enum Outcome: Sendable { case succeeded, failed, interrupted(signal: Int32) }

    /// What the command waits for: the passes' end, or a second signal.
    enum Ended: Sendable { case passes(Result<Outcome, any Error>), quitAtOnce(signal: Int32) }

    /// The signal that stopped the passes: set before they are cancelled, so that the signal, not the
    /// cancellation, says why they stop.
    final class Interruption: Sendable {
        private let received = Mutex<Int32?>(nil)
        var signal: Int32? { received.withLock { $0 } }
        func record(_ signal: Int32) { received.withLock { $0 = signal } }
    }

    /// The first SIGINT or SIGTERM cancels the passes, which stop at the page in hand and are let go of
    /// for the next run to resume; a second one asks the command to quit at once. The watcher,
    /// cancelled, stops trapping.
    static func cancelOnSignal(
        _ passes: Task<Void, Never>, interruption: Interruption, ended: AsyncStream<Ended>.Continuation
    ) async -> Task<Void, Never> {
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        return Task {
            for await signal in signals {
                guard interruption.signal == nil else {
                    ended.yield(.quitAtOnce(signal: signal.rawValue))
                    return
                }
                interruption.record(signal.rawValue)
                FileHandle.standardError.write(Data("\r\u{1B}[Khooksync: \(signal): stopping after the page in hand; again to quit at once\n".utf8))
                passes.cancel()
            }
        }
    }

    private func runPasses(_ plans: [ReconcileTarget], mirror: MirrorStore?, sink: any Sink, interruption: Interruption) async throws -> Outcome {
        let terminal = isatty(STDERR_FILENO) == 1
        let runner = PassRunner(
            store: store, mirror: mirror, sink: sink, lockTimeout: lockTimeout, logger: logger,
            onProgress: { progress in Self.show(progress, terminal: terminal) },
            client: { source in
                let (api, transport) = try WorkerAssembly.makeAPI(source, clock: SystemWallClock())
                return PassRunner.Client(api: api, release: { try await transport.shutdown() })
            })
        var failed = false
        let notStarted = try await runner.run(plans, shouldStop: { interruption.signal != nil }) { plan, outcome in
            if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            switch outcome {
            case .finished(let summary):
                print(Self.describe(summary))
            case .failed(let error, let requeued):
                let message = Self.failureMessage(plan, error) + (requeued ? " (the resync request is kept for the next run)" : "")
                FileHandle.standardError.write(Data("hooksync: \(message)\n".utf8))
                failed = true
            }
        }
        if !notStarted.isEmpty {
            let skipped = notStarted.map { "\($0.source.name)/\($0.type)" }.joined(separator: ", ")
            FileHandle.standardError.write(Data("hooksync: not started: \(skipped)\n".utf8))
        }
        if let signal = interruption.signal { return .interrupted(signal: signal) }
        return failed ? .failed : .succeeded
    }

    static func describe(_ summary: ReconcileSummary) -> String {
        "\(summary.source)/\(summary.type) (\(summary.mode.rawValue)\(summary.resumed ? ", resumed" : "")): "
            + "listed \(summary.counts.listed), changed \(summary.counts.changed), deleted \(summary.counts.deleted), "
            + "\(summary.counts.pages) pages in \(String(format: "%.1f", summary.duration))s"
    }

    /// On a terminal, one line rewritten in place; otherwise nothing (the summary line says it all).
    static func show(_ progress: ReconcileProgress, terminal: Bool) {
        guard terminal else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(progress)".utf8))
    }
}
