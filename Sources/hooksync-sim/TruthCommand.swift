import ArgumentParser
import Foundation
import HookSyncSimulator

struct TruthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "truth",
        abstract: "Print the dataset `serve` starts from, as JSON lines in (source, type, id) order.",
        discussion: """
            Each line: {"source", "type", "id", "deleted", "remote_modified_at", "data"}, the shape of \
            `hooksync mirror export` without synced_at. Give the same --seed and --entities as `serve`, \
            and its --host and --port, which Kladana objects name in meta.href.
            """)

    @OptionGroup var dataset: DatasetOptions

    @Option(help: "The host `serve` listens on.")
    var host = "127.0.0.1"

    @Option(help: "The port `serve` listens on.")
    var port: Int = 0

    @Option(
        name: .customLong("source"),
        help: ArgumentHelp(
            "PROVIDER=NAME: the HookSync source name of a provider (precoro, economic, kladana, softledger, standard-webhooks); repeatable. Default: every provider under its own name.",
            valueName: "provider=name"))
    var sources: [String] = []

    func validate() throws {
        _ = try sourceNames()
    }

    func run() throws {
        let simulator = ProviderSimulator(seed: dataset.seed)
        simulator.serverOrigin = "http://\(host):\(port)"
        SimulatorDataset(entities: dataset.entities, seed: dataset.seed).load(into: simulator)
        let lines = simulator.truthLines(sourceNames: try sourceNames())
        FileHandle.standardOutput.write(Data(lines.map { $0 + "\n" }.joined().utf8))
    }

    private func sourceNames() throws -> [SimulatedProvider: String] {
        guard !sources.isEmpty else {
            return Dictionary(uniqueKeysWithValues: SimulatedProvider.allCases.map { ($0, $0.rawValue) })
        }
        var names: [SimulatedProvider: String] = [:]
        for source in sources {
            let parts = source.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let provider = SimulatedProvider(rawValue: parts[0]), !parts[1].isEmpty else {
                throw ValidationError("--source must be PROVIDER=NAME with PROVIDER one of \(SimulatedProvider.allCases.map(\.rawValue).joined(separator: ", ")); got \(source)")
            }
            names[provider] = parts[1]
        }
        return names
    }
}
