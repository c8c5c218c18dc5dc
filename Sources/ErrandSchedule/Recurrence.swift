import Foundation

/// An Azure-style recurrence object: "every N units", optionally narrowed or expanded by a `schedule`.
///
/// ```json
/// {"frequency": "Week", "interval": 2, "startTime": "2026-01-05T09:00:00", "timeZone": "Europe/London",
///  "schedule": {"weekDays": ["Monday", "Friday"], "hours": [9], "minutes": [0]}}
/// ```
/// Semantics are those of iCalendar (RFC 5545) RRULEs, which Azure's model mirrors: `schedule` lists for units
/// finer than `frequency` expand each period, lists for coarser units only filter; unspecified finer units take
/// `startTime`'s value; weeks start on Monday. Day, Week and Month periods are counted on the wall clock of
/// `timeZone`; Hour, Minute and Second periods are counted in elapsed time, so "every 2 hours" stays 7,200 s
/// apart across a clock change.
public struct Recurrence: Schedule, Hashable {
    public enum Frequency: String, Sendable, Hashable, CaseIterable {
        case second = "Second", minute = "Minute", hour = "Hour", day = "Day", week = "Week", month = "Month"
        case once = "Once"
    }

    /// "The third Friday" (`occurrence` 3) or "the last Friday" (`occurrence` -1) of a month.
    public struct MonthlyOccurrence: Sendable, Hashable {
        /// 0 = Sunday ... 6 = Saturday.
        public var weekday: Int
        /// 1...5 from the start of the month, -1...-5 from its end.
        public var occurrence: Int
        public init(weekday: Int, occurrence: Int) {
            self.weekday = weekday
            self.occurrence = occurrence
        }
    }

    /// A start or end time: an instant when the text had an offset, otherwise a wall time in the schedule's zone.
    public enum TimePoint: Sendable, Hashable {
        case instant(Date)
        case local(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int)
    }

    public var frequency: Frequency
    public var interval: Int = 1
    public var startTime: TimePoint?
    public var endTime: TimePoint?
    public var count: Int?
    /// The zone the schedule is read in; when nil, the zone passed to `next(after:in:)`.
    public var timeZone: TimeZone?
    public var seconds: [Int] = []
    public var minutes: [Int] = []
    public var hours: [Int] = []
    /// 0 = Sunday ... 6 = Saturday.
    public var weekDays: [Int] = []
    /// 1...31, or -1...-31 counting from the end of the month (-1 = last day).
    public var monthDays: [Int] = []
    public var monthlyOccurrences: [MonthlyOccurrence] = []

    public init(frequency: Frequency) { self.frequency = frequency }
}
