/// A wall-clock date and time with no zone, split into fields.
///
/// Used by the search loops; converting to and from `wallSeconds` is exact for every Gregorian date.
struct LocalDateTime: Sendable, Equatable, Comparable, CustomStringConvertible {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int

    init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// Splits wall seconds (seconds since 1970-01-01T00:00 on the local clock).
    init(wallSeconds: Int) {
        let (days, secs) = CivilCalendar.floorDiv(wallSeconds, 86_400)
        let date = CivilCalendar.date(days: days)
        self.init(
            year: date.year, month: date.month, day: date.day,
            hour: secs / 3600, minute: secs % 3600 / 60, second: secs % 60
        )
    }

    var days: Int { CivilCalendar.days(year: year, month: month, day: day) }

    var wallSeconds: Int { days * 86_400 + hour * 3600 + minute * 60 + second }

    /// 0 = Sunday ... 6 = Saturday.
    var weekday: Int { CivilCalendar.weekday(days: days) }

    static func < (lhs: LocalDateTime, rhs: LocalDateTime) -> Bool { lhs.wallSeconds < rhs.wallSeconds }

    var description: String {
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let y = String(year)
        let pad = String(repeating: "0", count: max(0, 4 - y.count))
        return "\(pad)\(y)-\(two(month))-\(two(day))T\(two(hour)):\(two(minute)):\(two(second))"
    }
}
