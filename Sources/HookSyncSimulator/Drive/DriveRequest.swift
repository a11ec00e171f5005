import Foundation

/// The body of `POST /_sim/drive`: where to send webhooks, as which sources, what to change and
/// what goes wrong on the way. Every key but `webhooks_url` and `sources` is optional.
///
/// ```json
/// {"webhooks_url": "http://127.0.0.1:8080",
///  "sources": {"economic": {"name": "economic", "token": "s3cret"},
///              "standard-webhooks": {"name": "shop", "signing_secret": "whsec_…"}},
///  "mutations": 500, "rate": 100, "bulk_imports": 1, "bulk_size": 100, "silent_bulk": 20,
///  "same_time_batches": 10, "batch_changes": 4, "batch_spacing_ms": 100,
///  "drop_rate": 0.2, "duplicate_rate": 0.1, "reorder_rate": 0.05, "seed": 7}
/// ```
///
/// `same_time_batches`: batches of `batch_changes` updates to one entity, `batch_spacing_ms` apart,
/// all with one modification time (see `MutationPlan.sameTimeBatches`).
struct DriveRequest: Decodable {
    struct Source: Decodable {
        var name: String
        var token: String?
        var signingSecret: String?

        enum CodingKeys: String, CodingKey {
            case name, token
            case signingSecret = "signing_secret"
        }
    }

    struct Mix: Decodable {
        var creates: Double
        var updates: Double
        var deletes: Double
        var renumbers: Double
    }

    var webhooksURL: String
    var sources: [String: Source]
    var kladanaForm: String?
    var concurrency: Int?
    var maxAttempts: Int?
    var retryBackoffMs: Int?
    var timeoutMs: Int?
    var mutations: Int?
    var rate: Double?
    var mix: Mix?
    var bulkImports: Int?
    var bulkSize: Int?
    var silentBulk: Int?
    var sameTimeBatches: Int?
    var batchChanges: Int?
    var batchSpacingMs: Int?
    var dropRate: Double?
    var duplicateRate: Double?
    var reorderRate: Double?
    var seed: UInt64?

    enum CodingKeys: String, CodingKey {
        case webhooksURL = "webhooks_url"
        case sources, concurrency, mutations, rate, mix, seed
        case kladanaForm = "kladana_form"
        case maxAttempts = "max_attempts"
        case retryBackoffMs = "retry_backoff_ms"
        case timeoutMs = "timeout_ms"
        case bulkImports = "bulk_imports"
        case bulkSize = "bulk_size"
        case silentBulk = "silent_bulk"
        case sameTimeBatches = "same_time_batches"
        case batchChanges = "batch_changes"
        case batchSpacingMs = "batch_spacing_ms"
        case dropRate = "drop_rate"
        case duplicateRate = "duplicate_rate"
        case reorderRate = "reorder_rate"
    }

    /// Parses and checks a body; every problem is a message that names the key.
    static func parse(_ body: Data) throws(DriveConfigurationError) -> DriveRequest {
        let decoder = JSONDecoder()
        do {
            return try decoder.decode(DriveRequest.self, from: body)
        } catch DecodingError.keyNotFound(let key, _) {
            throw DriveConfigurationError("the drive request lacks \(key.stringValue)")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            throw DriveConfigurationError("the drive request's \(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type")
        } catch {
            throw DriveConfigurationError("the drive request is not a JSON object like {\"webhooks_url\": \"http://127.0.0.1:8080\", \"sources\": {\"economic\": {\"name\": \"economic\", \"token\": \"…\"}}}")
        }
    }

    func target() throws(DriveConfigurationError) -> WebhookTarget {
        var named: [SimulatedProvider: WebhookSource] = [:]
        for (provider, source) in sources {
            guard let provider = SimulatedProvider(rawValue: provider) else {
                throw DriveConfigurationError("sources.\(provider) is not a provider; use \(SimulatedProvider.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            named[provider] = WebhookSource(name: source.name, token: source.token, signingSecret: source.signingSecret)
        }
        var form = KladanaWebhookForm.jsonAPI
        if let kladanaForm {
            guard let parsed = KladanaWebhookForm(rawValue: kladanaForm) else {
                throw DriveConfigurationError("kladana_form must be json-api or workflow, got \(kladanaForm)")
            }
            form = parsed
        }
        let defaults = WebhookRetry()
        let retry = WebhookRetry(
            maxAttempts: maxAttempts ?? defaults.maxAttempts,
            backoff: retryBackoffMs.map { .milliseconds($0) } ?? defaults.backoff,
            timeout: timeoutMs.map { .milliseconds($0) } ?? defaults.timeout)
        return WebhookTarget(baseURL: webhooksURL, sources: named, kladanaForm: form, retry: retry, concurrency: concurrency ?? 4)
    }

    var plan: MutationPlan {
        let defaults = MutationPlan()
        return MutationPlan(
            mutations: mutations ?? defaults.mutations, rate: rate,
            mix: mix.map { MutationMix(creates: $0.creates, updates: $0.updates, deletes: $0.deletes, renumbers: $0.renumbers) } ?? .standard,
            bulkImports: bulkImports ?? 0, bulkSize: bulkSize ?? defaults.bulkSize, silentBulk: silentBulk ?? 0,
            sameTimeBatches: sameTimeBatches ?? 0, batchChanges: batchChanges ?? defaults.batchChanges,
            batchSpacing: batchSpacingMs.map { .milliseconds($0) } ?? defaults.batchSpacing)
    }

    var faults: WebhookFaults {
        WebhookFaults(dropRate: dropRate ?? 0, duplicateRate: duplicateRate ?? 0, reorderRate: reorderRate ?? 0)
    }
}
