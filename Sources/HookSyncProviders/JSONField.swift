import Foundation

/// Reading of the loosely typed values `JSONSerialization` returns, shared by the parsers so every
/// provider's messages about a bad field read the same. `FlatJSONObject` gives whole numbers as
/// `JSONWholeNumber` rather than `NSNumber`; each reading tries the Swift types first, because casting
/// an `Any` to `NSNumber` is the slow cast (a bridging attempt) and no flat body needs it.
enum JSONField {
    /// A non-empty string, or a whole number given as a JSON number (providers differ on ids).
    /// Booleans are refused although Foundation would happily read `true` as 1.
    static func identifier(_ value: Any?) -> String? {
        switch value {
        case let text as String: text.isEmpty ? nil : text
        case let number as JSONWholeNumber: String(number.value)
        case let number as NSNumber where !isBoolean(number): wholeNumberText(number)
        default: nil
        }
    }

    /// The identifier at `key`, or a rejection that says whether it was missing or of the wrong kind.
    static func requiredIdentifier(_ object: [String: Any], _ key: String, provider: String) throws(WebhookRejection) -> String {
        if let identifier = identifier(object[key]) { return identifier }
        throw missingOrWrong(object[key], key, expected: "a string or a whole number", provider: provider)
    }

    /// A whole number given as a JSON number or as digits in a string.
    static func integer(_ value: Any?) -> Int? {
        switch value {
        case let text as String: Int(text.trimmingCharacters(in: .whitespaces))
        case let number as JSONWholeNumber: Int(number.value)
        case let number as NSNumber where !isBoolean(number): wholeNumberText(number).flatMap { Int($0) }
        default: nil
        }
    }

    static func requiredInteger(_ object: [String: Any], _ key: String, provider: String) throws(WebhookRejection) -> Int {
        if let integer = integer(object[key]) { return integer }
        throw missingOrWrong(object[key], key, expected: "a whole number", provider: provider)
    }

    static func missingOrWrong(_ value: Any?, _ key: String, expected: String, provider: String) -> WebhookRejection {
        switch value {
        case nil, is NSNull: WebhookRejection("\(provider): \"\(key)\" is missing")
        case let value?: WebhookRejection("\(provider): \"\(key)\" is \(describe(value)), not \(expected)")
        }
    }

    /// ISO 8601 with or without fractional seconds; `nil` for anything else.
    static func isoDate(_ value: Any?) -> Date? {
        guard let text = value as? String else { return nil }
        return (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: .iso8601))
    }

    /// `LedgerAccount` → `ledger_account`, `GLAccount` → `gl_account`, `purchase.order` → `purchase_order`:
    /// the entity type names HookSync uses everywhere, whatever casing the provider chose.
    static func snakeCase(_ text: String) -> String {
        let characters = Array(text)
        var result = ""
        for (index, character) in characters.enumerated() {
            if character == " " || character == "-" || character == "_" || character == "." {
                if !result.isEmpty && !result.hasSuffix("_") { result.append("_") }
                continue
            }
            if character.isUppercase, index > 0, !result.isEmpty, !result.hasSuffix("_") {
                let previous = characters[index - 1]
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                // The second test splits an acronym from the word after it: GLAccount → gl_account.
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && next?.isLowercase == true) {
                    result.append("_")
                }
            }
            result += character.lowercased()
        }
        while result.hasSuffix("_") { result.removeLast() }
        return result
    }

    /// Whether a type name is safe to put in a URL path and a metric label: `^[a-z][a-z0-9_]*$`.
    /// Written out rather than as a regular expression because it runs on every request.
    static func isTypeName(_ text: String) -> Bool {
        guard let first = text.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
        return text.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_")
        }
    }

    /// A short description of a JSON value for a rejection reason: `true`, `2.5`, `an array`, `"abc"`.
    static func describe(_ value: Any) -> String {
        switch value {
        case is NSNull: "null"
        case let number as JSONWholeNumber: String(number.value)
        case let number as NSNumber where isBoolean(number): number.boolValue ? "true" : "false"
        case let number as NSNumber: number.stringValue
        case let text as String: text.isEmpty ? "an empty string" : String(reflecting: text.count > 40 ? String(text.prefix(40)) + "…" : text)
        case is [Any]: "an array"
        case is [String: Any]: "an object"
        default: "\(type(of: value))"
        }
    }

    /// JSONSerialization gives booleans and numbers the same class; only the Objective-C type code tells them apart.
    private static func isBoolean(_ number: NSNumber) -> Bool {
        hasTypeCode(number, "c")
    }

    /// Whether the number's one-letter Objective-C type code is `code`, read in place: making a
    /// `String` of it for every field showed in ingest's profile.
    private static func hasTypeCode(_ number: NSNumber, _ code: Unicode.Scalar) -> Bool {
        let type = number.objCType
        return type[0] == CChar(code.value) && type[1] == 0
    }

    /// `42` and `42.0` → "42"; `2.5` and numbers too large to be exact as a Double → nil.
    private static func wholeNumberText(_ number: NSNumber) -> String? {
        guard hasTypeCode(number, "f") || hasTypeCode(number, "d") else { return number.stringValue }
        let double = number.doubleValue
        guard double == double.rounded(), abs(double) < 9e15 else { return nil }
        return String(Int64(double))
    }
}
