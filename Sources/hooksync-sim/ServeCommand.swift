import ArgumentParser
import Foundation
import HookSyncCore
import HookSyncSimulator
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the simulated provider APIs until SIGTERM or SIGINT.",
        discussion: """
            Prints `listening on HOST:PORT` to stdout once bound. Base URLs: /precoro, /economic, \
            /kladana/api/remap/1.2, /softledger/api (token URL /softledger/oauth/token) and /standard. \
            Credentials are SimulatorCredentials' defaults: Precoro email sim@example.com and token \
            precoro-token; e-conomic economic-app / economic-grant; Kladana kladana-token; SoftLedger \
            client sl-client, secret sl-secret, tenant sl-tenant, audience sl-audience; Standard Webhooks \
            bearer standard-token.

            Control endpoints, beside the APIs: POST /_sim/drive changes the data and sends webhooks announcing \
            the changes to HookSync's ingest, e.g. {"webhooks_url": "http://127.0.0.1:8080", "sources": \
            {"economic": {"name": "economic", "token": "…"}}, "mutations": 500, "rate": 100, "bulk_imports": 1, \
            "bulk_size": 100, "silent_bulk": 20, "drop_rate": 0.2, "duplicate_rate": 0.1, "reorder_rate": 0.05} \
            (202; 409 while a drive runs; 400 naming a bad key). GET /_sim/stats counts the drive's webhooks and \
            the API requests; GET /_sim/truth?source=economic=economic prints the data now as `hooksync mirror \
            export` lines; POST /_sim/faults {"provider": "kladana", "forced_status": 401} replaces a provider's \
            faults (also latency_ms, failure_rate, timeout_rate, fail_next). scripts/demo uses them all.

            SIGTERM or SIGINT: stop accepting, finish the requests in flight, exit 0. Log level: $LOG_LEVEL \
            (default info), on stderr.
            """)

    @OptionGroup var dataset: DatasetOptions

    @Option(help: "Port to listen on; 0 picks a free one (see the printed line).")
    var port: Int = 0

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Latency added to every API request, as <number><unit> with unit ms, s or m, e.g. 20ms.")
    var latency = "0ms"

    @Option(help: "Share of API requests, 0 to 1, answered 503 (decided by --seed).")
    var failureRate: Double = 0

    @Option(help: "Share of API requests, 0 to 1, that hang for 30 s (or until the client hangs up) and then answer 504.")
    var timeoutRate: Double = 0

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard HumanDuration.parse(latency) != nil else { throw ValidationError("--latency must look like 20ms, 1s or 0ms; got \(latency)") }
        guard (0...1).contains(failureRate) else { throw ValidationError("--failure-rate must be between 0 and 1") }
        guard (0...1).contains(timeoutRate), failureRate + timeoutRate <= 1 else {
            throw ValidationError("--timeout-rate must be between 0 and 1, and at most 1 together with --failure-rate")
        }
    }

    func run() async throws {
        let logger = ProcessLogging.bootstrap(label: "hooksync-sim")
        let simulator = ProviderSimulator(seed: dataset.seed)
        SimulatorDataset(entities: dataset.entities, seed: dataset.seed).load(into: simulator)
        let faults = SimulatorFaults(latency: HumanDuration.parse(latency) ?? .zero, failureRate: failureRate, timeoutRate: timeoutRate)
        for provider in SimulatedProvider.allCases { simulator.setFaults(provider, faults) }

        let host = host
        let app = simulator.application(host: host, port: port, logger: logger) { port in
            // Unbuffered, so a parent process reading our stdout sees the line at once.
            FileHandle.standardOutput.write(Data("listening on \(host):\(port)\n".utf8))
            logger.info("serving \(dataset.entities) entities", metadata: ["seed": "\(dataset.seed)", "latency": "\(latency)", "failure-rate": "\(failureRate)", "timeout-rate": "\(timeoutRate)"])
        }
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        try await group.run()
    }
}
