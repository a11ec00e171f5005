/// SplitMix64: a tiny, fast generator whose whole state is one word, so a seed fixes every fault
/// decision and every issued token (the simulator), or a stress run replayable (QueueStress). Not for
/// anything secret.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// `count` lowercase hex digits.
    public mutating func hex(_ count: Int) -> String {
        let digits = Array("0123456789abcdef")
        return String((0..<count).map { _ in digits[Int(next() & 0xF)] })
    }

    /// A UUID-shaped string (8-4-4-4-12 hex digits), as Kladana ids and webhook delivery ids look.
    public mutating func uuid() -> String {
        [8, 4, 4, 4, 12].map { hex($0) }.joined(separator: "-")
    }

    /// True with probability `rate`. It draws even when `rate` is 0 or 1, so the decisions that
    /// follow do not shift when a rate is changed.
    public mutating func chance(_ rate: Double) -> Bool {
        Double.random(in: 0..<1, using: &self) < rate
    }
}
