/// The order listings are sorted in: modification time, then id.
///
/// Ids compare as numbers when both are plain integers (Precoro ids, e-conomic numbers), otherwise
/// byte-wise; integers sort before other ids, which keeps the order total when a type mixes both.
enum EntityOrder {
    static func precedes(_ a: (updatedAt: Int64, id: String), _ b: (updatedAt: Int64, id: String)) -> Bool {
        if a.updatedAt != b.updatedAt { return a.updatedAt < b.updatedAt }
        return idPrecedes(a.id, b.id)
    }

    static func idPrecedes(_ a: String, _ b: String) -> Bool {
        switch (integer(a), integer(b)) {
        case let (x?, y?): x < y
        case (.some, nil): true
        case (nil, .some): false
        case (nil, nil): a.utf8.lexicographicallyPrecedes(b.utf8)
        }
    }

    private static func integer(_ id: String) -> Int64? {
        guard let number = Int64(id), String(number) == id else { return nil }
        return number
    }
}
