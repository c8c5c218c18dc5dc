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

/// The instants the engine computes with, in whole seconds since 1970: up to the end of year 9999 UTC, and as far
/// back. `next` never answers past `latest` (nor `previous` before `earliest`), and instants outside are clamped
/// or refused, so no search can overflow `Int` and every answer fits a four-digit ISO-8601 year.
public enum ScheduleRange {
    /// 9999-12-31T23:59:59Z.
    public static let latest = 253_402_300_799
    public static let earliest = -latest
}

/// Whole-second views of `Date`, the engine's unit.
extension Date {
    /// Seconds since 1970, rounded down and clamped to `ScheduleRange` (NaN reads as `earliest`): for display,
    /// where an answer is better than a trap.
    var floorSeconds: Int { Self.clamped(timeIntervalSince1970.rounded(.down)) }
    /// Seconds since 1970, rounded up and clamped like `floorSeconds`.
    var ceilSeconds: Int { Self.clamped(timeIntervalSince1970.rounded(.up)) }

    /// `floorSeconds` when the instant lies in `ScheduleRange`, else `nil`.
    var floorSecondsInRange: Int? {
        let t = timeIntervalSince1970.rounded(.down)
        return t >= Double(ScheduleRange.earliest) && t <= Double(ScheduleRange.latest) ? Int(t) : nil
    }

    /// The whole second `next(after:)` searches from: `nil` (never fires again) for NaN or an instant past
    /// `ScheduleRange.latest`; an instant before `earliest` searches from `earliest`, still after it.
    var nextSearchStart: Int? {
        let t = timeIntervalSince1970.rounded(.down)
        guard !t.isNaN, t <= Double(ScheduleRange.latest) else { return nil }
        return floorSeconds
    }

    /// The whole second `previous(before:)` searches back from, mirroring `nextSearchStart`.
    var previousSearchEnd: Int? {
        let t = timeIntervalSince1970.rounded(.up)
        guard !t.isNaN, t >= Double(ScheduleRange.earliest) else { return nil }
        return ceilSeconds
    }

    init(seconds: Int) { self.init(timeIntervalSince1970: TimeInterval(seconds)) }

    /// Converting a Double outside `Int`'s range (or NaN) traps; clamp first.
    private static func clamped(_ t: Double) -> Int {
        guard t >= Double(ScheduleRange.earliest) else { return ScheduleRange.earliest }
        return t <= Double(ScheduleRange.latest) ? Int(t) : ScheduleRange.latest
    }
}

/// Overflow-checked arithmetic for numbers that come from input: `nil` where `+` or `*` would trap.
extension Int {
    func checkedAdding(_ other: Int) -> Int? {
        let (result, overflow) = addingReportingOverflow(other)
        return overflow ? nil : result
    }

    func checkedMultiplied(by other: Int) -> Int? {
        let (result, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? nil : result
    }
}
