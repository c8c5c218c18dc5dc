import Foundation

/// Anything that yields firing instants: a cron expression, an `@every` interval or a recurrence object.
///
/// The clock is always passed in (`after:`/`before:`), so callers and tests decide what "now" is.
/// Results are strictly after / strictly before the given instant and fall on whole seconds.
public protocol Schedule: Sendable, CustomStringConvertible {
    /// The first firing instant strictly after `instant`, or `nil` if the schedule never fires again.
    /// `zone` is the zone to read wall-clock fields in, unless the schedule carries its own.
    func next(after instant: Date, in zone: TimeZone) -> Date?

    /// The last firing instant strictly before `instant`, or `nil` if there is none (used for missed-run logic).
    func previous(before instant: Date, in zone: TimeZone) -> Date?

    /// The schedule in English words, e.g. "At 09:30, Monday through Friday".
    var description: String { get }
}

extension Schedule {
    /// The next `count` firing instants after `instant`, in order (fewer if the schedule ends).
    public func next(_ count: Int, after instant: Date, in zone: TimeZone) -> [Date] {
        var result: [Date] = []
        result.reserveCapacity(max(0, count))
        var cursor = instant
        while result.count < count, let n = next(after: cursor, in: zone) {
            result.append(n)
            cursor = n
        }
        return result
    }
}

/// Whole-second views of `Date`, the engine's unit.
extension Date {
    /// Seconds since 1970, rounded down.
    var floorSeconds: Int { Int(timeIntervalSince1970.rounded(.down)) }
    /// Seconds since 1970, rounded up.
    var ceilSeconds: Int { Int(timeIntervalSince1970.rounded(.up)) }
    init(seconds: Int) { self.init(timeIntervalSince1970: TimeInterval(seconds)) }
}
