/// A set of small integers (0...63) as a bit mask: a cron field's allowed values.
///
/// Finding the next allowed value is one `trailingZeroBitCount`, which keeps the search loops fast.
struct FieldSet: Sendable, Hashable {
    private(set) var bits: UInt64

    init() { bits = 0 }

    init<S: Sequence>(_ values: S) where S.Element == Int {
        bits = 0
        for v in values { insert(v) }
    }

    mutating func insert(_ value: Int) { bits |= 1 << UInt64(value) }

    func contains(_ value: Int) -> Bool { value >= 0 && value < 64 && bits & (1 << UInt64(value)) != 0 }

    var isEmpty: Bool { bits == 0 }
    var count: Int { bits.nonzeroBitCount }

    /// The smallest member `>= value`, if any.
    func first(atOrAfter value: Int) -> Int? {
        if value >= 64 { return nil }
        let masked = bits & (UInt64.max << UInt64(max(value, 0)))
        return masked == 0 ? nil : masked.trailingZeroBitCount
    }

    /// The largest member `<= value`, if any.
    func last(atOrBefore value: Int) -> Int? {
        if value < 0 { return nil }
        let masked = value >= 63 ? bits : bits & ((1 << UInt64(value + 1)) - 1)
        return masked == 0 ? nil : 63 - masked.leadingZeroBitCount
    }

    /// Members in increasing order.
    var members: [Int] { (0..<64).filter(contains) }

    static func range(_ r: ClosedRange<Int>) -> FieldSet { FieldSet(r) }
}
