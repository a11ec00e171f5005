import ArgumentParser

/// `hooksync-sim`: the providers' APIs, simulated, for demos, benchmarks and end-to-end tests.
@main
struct HookSyncSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hooksync-sim",
        abstract: "Simulated Precoro, e-conomic, Kladana, SoftLedger and Standard Webhooks APIs over a generated dataset.",
        discussion: """
            `serve` runs the APIs; `truth` prints the dataset `serve` starts from, as JSON lines in the \
            shape of `hooksync mirror export` (without synced_at), to compare a mirror with.
            """,
        subcommands: [ServeCommand.self, TruthCommand.self]
    )
}

/// What decides the generated dataset; `serve` and `truth` given the same values agree.
struct DatasetOptions: ParsableArguments {
    @Option(help: "Seed of the dataset and of every fault decision: the same seed gives the same run.")
    var seed: UInt64 = 1

    @Option(help: "How many entities to generate, dealt in turn over precoro purchase_order and invoice, economic customer and product, kladana customerorder, softledger ledger_account and standard-webhooks order.")
    var entities: Int = 100

    func validate() throws {
        guard entities >= 0 else { throw ValidationError("--entities must be 0 or more") }
    }
}
