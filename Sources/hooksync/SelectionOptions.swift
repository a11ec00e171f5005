import ArgumentParser

/// "One entry by id, or all of them (of one source)": how retry and replay commands choose.
struct SelectionOptions: ParsableArguments {
    @Argument(help: "The id (#N in the list).") var id: Int64?
    @Flag(help: "All entries (of --source, if given).") var all = false
    @Option(help: "With --all: only this source.") var source: String?

    func validate() throws {
        guard (id == nil) == all else { throw ValidationError("give either an id or --all") }
        guard source == nil || all else { throw ValidationError("--source goes with --all") }
    }
}
