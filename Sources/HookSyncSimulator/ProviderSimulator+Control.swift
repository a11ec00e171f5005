import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// The drive a simulator runs (one at a time) and what the last one did.
struct DriveSlot: Sendable {
    var driver: WebhookDriver?
    var running = false
    var error: String?
    var started = 0
}

/// The simulator's control endpoints, under `/_sim/` beside the providers' APIs, for the demo and
/// the end-to-end tests that run `hooksync-sim serve` as a process:
///
/// - `POST /_sim/drive` starts a drive (`DriveRequest` is the body); 202, or 409 while one runs.
/// - `GET /_sim/stats`: the drive's counters (`DriveStats`), whether it still runs, and API requests per provider.
/// - `GET /_sim/truth?source=provider=name…`: the ground truth now, as `hooksync mirror export` lines.
/// - `POST /_sim/faults`: replaces a provider's API faults, e.g. `{"provider": "kladana", "forced_status": 401}`.
extension ProviderSimulator {
    func addControlRoutes(to router: Router<SimulatorRequestContext>) {
        router.post("/_sim/drive") { request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            do throws(DriveConfigurationError) {
                let drive = try DriveRequest.parse(Data(body.readableBytesView))
                let driver = try WebhookDriver(simulator: self, target: try drive.target(), faults: drive.faults, seed: drive.seed ?? 1)
                let plan = drive.plan
                try plan.validate()
                let number: Int? = self.driveSlot.withLock { slot in
                    guard !slot.running else { return nil }
                    slot = DriveSlot(driver: driver, running: true, error: nil, started: slot.started + 1)
                    return slot.started
                }
                guard let number else { return WireResponse.error(.conflict, "a drive is running; wait until GET /_sim/stats says running: false").response }
                Task {
                    var failure: String?
                    do { try await driver.run(plan) } catch { failure = "\(error)" }
                    self.driveSlot.withLock { slot in
                        slot.running = false
                        slot.error = failure
                    }
                }
                return WireResponse(status: .accepted, body: .object(["status": .string("started"), "drive": .int(Int64(number))])).response
            } catch {
                return WireResponse.error(.badRequest, error.message).response
            }
        }
        router.get("/_sim/stats") { _, _ in
            self.statsDocument.response
        }
        router.get("/_sim/truth") { request, _ in
            var names: [SimulatedProvider: String] = [:]
            for mapping in request.uri.queryParameters.getAll("source") {
                let parts = mapping.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let provider = SimulatedProvider(rawValue: parts[0]), !parts[1].isEmpty else {
                    return WireResponse.error(.badRequest, "source must be PROVIDER=NAME, got \(mapping)").response
                }
                names[provider] = parts[1]
            }
            let lines = names.isEmpty ? self.truthLines() : self.truthLines(sourceNames: names)
            return Response(
                status: .ok, headers: [.contentType: "application/x-ndjson"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: lines.map { $0 + "\n" }.joined())))
        }
        router.post("/_sim/faults") { request, _ in
            let body = try await request.body.collect(upTo: 64 * 1024)
            do throws(DriveConfigurationError) {
                let change = try FaultsRequest.parse(Data(body.readableBytesView))
                for provider in change.providers { self.setFaults(provider, change.faults) }
                return WireResponse(status: .ok, body: .object(["status": .string("set")])).response
            } catch {
                return WireResponse.error(.badRequest, error.message).response
            }
        }
    }

    var statsDocument: WireResponse {
        let slot = driveSlot.withLock { $0 }
        var requests: [String: JSONValue] = [:]
        for provider in SimulatedProvider.allCases { requests[provider.rawValue] = .int(Int64(requestCount(provider))) }
        return WireResponse(status: .ok, body: .object([
            "running": .bool(slot.running), "drives": .int(Int64(slot.started)),
            "error": slot.error.map(JSONValue.string) ?? .null,
            "webhooks": (slot.driver?.stats ?? DriveStats()).json,
            "api_requests": .object(requests),
        ]))
    }
}

/// The body of `POST /_sim/faults`: `{"provider": "economic" | "all", "latency_ms"?, "failure_rate"?,
/// "timeout_rate"?, "forced_status"?, "fail_next"?}`. The provider's faults become exactly these.
struct FaultsRequest: Decodable {
    var provider: String
    var latencyMs: Int?
    var failureRate: Double?
    var timeoutRate: Double?
    var forcedStatus: Int?
    var failNext: Int?

    enum CodingKeys: String, CodingKey {
        case provider
        case latencyMs = "latency_ms"
        case failureRate = "failure_rate"
        case timeoutRate = "timeout_rate"
        case forcedStatus = "forced_status"
        case failNext = "fail_next"
    }

    static func parse(_ body: Data) throws(DriveConfigurationError) -> FaultsRequest {
        guard let request = try? JSONDecoder().decode(FaultsRequest.self, from: body) else {
            throw DriveConfigurationError(#"expected {"provider": "economic" | "all", "latency_ms"?, "failure_rate"?, "timeout_rate"?, "forced_status"?, "fail_next"?}"#)
        }
        guard request.provider == "all" || SimulatedProvider(rawValue: request.provider) != nil else {
            throw DriveConfigurationError("provider must be all or one of \(SimulatedProvider.allCases.map(\.rawValue).joined(separator: ", ")), got \(request.provider)")
        }
        try DriveConfigurationError.checkRate(request.failureRate ?? 0, "failure_rate")
        try DriveConfigurationError.checkRate(request.timeoutRate ?? 0, "timeout_rate")
        if let status = request.forcedStatus, !(100...599).contains(status) {
            throw DriveConfigurationError("forced_status must be an HTTP status, got \(status)")
        }
        return request
    }

    var providers: [SimulatedProvider] {
        provider == "all" ? SimulatedProvider.allCases : [SimulatedProvider(rawValue: provider)!]
    }

    var faults: SimulatorFaults {
        SimulatorFaults(
            latency: .milliseconds(latencyMs ?? 0), failureRate: failureRate ?? 0, timeoutRate: timeoutRate ?? 0,
            forcedStatus: forcedStatus, failNext: failNext ?? 0)
    }
}
