import Foundation

// Release-build benchmark helpers, driven by scripts/bench-*:
//
//   HookSyncBench queue [--events N] [--batch N] [--entities N] [--claim-batch N] [--synchronous full|normal]
//       queue throughput beside raw SQLite inserts (scripts/bench-queue)
//   HookSyncBench enqueue DB --source S --type T --count N
//       one event for each of entities 1...N, in batches of 500 (scripts/bench-worker fills the queue)
//   HookSyncBench listing-server --rows N [--port 0]
//       an e-conomic-shaped "modified since" listing of N generated customers (scripts/bench-reconcile)
//   HookSyncBench listing-baseline --url BASE --rows N
//       reads that listing page by page without processing it: the fake's own serving rate
//   HookSyncBench listing-parse [--pages N]
//       the e-conomic client's own work per listing page (request, parse), with no network

@main
struct HookSyncBench {
    static let usage = "usage: HookSyncBench queue|enqueue|listing-server|listing-baseline|listing-parse [options] (see Sources/HookSyncBench/HookSyncBench.swift)"

    static func main() async throws {
        var arguments = CommandLine.arguments.dropFirst()
        guard let command = arguments.popFirst() else { fail(usage) }
        var positional: [String] = []
        var options: [String: String] = [:]
        while let argument = arguments.popFirst() {
            if argument.hasPrefix("--") { options[argument] = arguments.popFirst() } else { positional.append(argument) }
        }
        switch command {
        case "queue": try await QueueBenchmark.run(options)
        case "enqueue":
            guard let database = positional.first else { fail(usage) }
            try await EnqueueCommand.run(database: database, options)
        case "listing-server": try await ListingServer.run(options)
        case "listing-baseline": try await ListingBaseline.run(options)
        case "listing-parse": try await ListingParse.run(options)
        default: fail(usage)
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("HookSyncBench: \(message)\n".utf8))
        exit(2)
    }
}

extension [String: String] {
    func int(_ name: String, default value: Int) -> Int {
        guard let text = self[name] else { return value }
        guard let number = Int(text), number >= 0 else { HookSyncBench.fail("\(name) must be a whole number; got \(text)") }
        return number
    }
}
