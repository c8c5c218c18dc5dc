import PropertyBased

/// Draws from a seeded generator (the property checker's, so a failing seed replays the same inputs).
public enum Fuzz {
    public static func int(_ range: ClosedRange<Int>, _ rng: inout any SeededRandomNumberGenerator) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) &+ 1
        let draw = span == 0 ? rng.next() : rng.next() % span
        return range.lowerBound &+ Int(truncatingIfNeeded: draw)
    }

    public static func pick<T>(_ options: [T], _ rng: inout any SeededRandomNumberGenerator) -> T {
        options[int(0...(options.count - 1), &rng)]
    }
}
