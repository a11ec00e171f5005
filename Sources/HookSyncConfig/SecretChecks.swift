import HookSyncCore

/// Inbound secrets that cannot work are problems; ones that work but are easy to guess are warnings.
///
/// Outbound credentials are the provider's to choose, so only the secrets HookSync checks itself
/// (webhook tokens, the admin token, Standard Webhooks signing secrets) are judged here.
enum SecretChecks {
    /// Shorter than this, a token can be guessed by a patient sender; `openssl rand -hex 16` gives 32.
    static let recommendedTokenLength = 16

    static func token(_ secret: Secret?, at path: String, problems: ProblemList) {
        guard let secret, secret.unsetVariable == nil else { return }
        let token = secret.value
        if token.allSatisfy(\.isWhitespace) {
            problems.add(path, "is blank")
        } else if token.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } == true }) {
            // A sender presents it in a URL or an Authorization header, where it would arrive changed or cut.
            problems.add(path, "contains white space or a control character, which no sender can present intact")
        } else if token.count < recommendedTokenLength {
            problems.warn(path, "is \(token.count) characters long; use at least \(recommendedTokenLength) random ones (e.g. openssl rand -hex 16)")
        }
    }

    static func signingSecret(_ secret: Secret, at path: String, problems: ProblemList) {
        guard secret.unsetVariable == nil else { return }
        do {
            let key = try StandardWebhooksSecret.key(of: secret.value)
            if key.count < StandardWebhooksSecret.recommendedKeyBytes {
                problems.warn(path, "has a key of \(key.count) bytes; Standard Webhooks asks for at least \(StandardWebhooksSecret.recommendedKeyBytes)")
            }
        } catch {
            problems.add(path, "\(error)")
        }
    }
}
