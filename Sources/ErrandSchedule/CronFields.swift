/// The six parsed fields of a cron expression, ready for matching.
///
/// Plain sets cover numbers, ranges, steps and lists; the special day forms (`L`, `LW`, `15W`, `5L`, `5#3`) are
/// kept apart because they depend on the month being looked at.
struct CronFields: Sendable, Hashable {
    var seconds = FieldSet()
    var minutes = FieldSet()
    var hours = FieldSet()
    /// Plain days of the month, 1...31.
    var daysOfMonth = FieldSet()
    /// `L` in day-of-month: the last day of the month.
    var lastDayOfMonth = false
    /// `LW` in day-of-month: the last Monday-to-Friday day of the month.
    var lastWeekdayOfMonth = false
    /// `15W`: the Monday-to-Friday day nearest the 15th, never leaving the month.
    var nearestWeekdays = FieldSet()
    var months = FieldSet()
    /// Plain days of the week, 0 = Sunday ... 6 = Saturday (7 is folded into 0 when parsing).
    var daysOfWeek = FieldSet()
    /// `5L` / `FRIL`: the last such weekday of the month.
    var lastWeekdaysInMonth = FieldSet()
    /// `5#3`: bit `weekday * 5 + (n - 1)` for the n-th such weekday of the month.
    var nthWeekdays = FieldSet()
    /// True when the day-of-month or the day-of-week field starts with `*` (or is `?`): then a day must satisfy
    /// both fields. Otherwise a day satisfying either field matches. This is Debian cron's rule (cronsim's too);
    /// a field like `*/2` counts as starting with `*`.
    var daysMustMatchBoth = true

    /// Whether day `day` of `year`-`month` is allowed. `weekday` is that day's weekday, `monthLength` its month's.
    func dayMatches(year: Int, month: Int, day: Int, weekday: Int, monthLength: Int) -> Bool {
        let dom = domMatches(year: year, month: month, day: day, monthLength: monthLength)
        if daysMustMatchBoth {
            return dom && dowMatches(day: day, weekday: weekday, monthLength: monthLength)
        }
        return dom || dowMatches(day: day, weekday: weekday, monthLength: monthLength)
    }

    private func domMatches(year: Int, month: Int, day: Int, monthLength: Int) -> Bool {
        if daysOfMonth.contains(day) { return true }
        if lastDayOfMonth && day == monthLength { return true }
        if lastWeekdayOfMonth && day >= monthLength - 2
            && day == Self.lastWeekday(year: year, month: month, monthLength: monthLength)
        {
            return true
        }
        if !nearestWeekdays.isEmpty
            && nearestWeekdays.contains(where: { target in
                Self.nearestWeekday(to: target, year: year, month: month, monthLength: monthLength) == day
            })
        {
            return true
        }
        return false
    }

    private func dowMatches(day: Int, weekday: Int, monthLength: Int) -> Bool {
        if daysOfWeek.contains(weekday) { return true }
        if lastWeekdaysInMonth.contains(weekday) && day + 7 > monthLength { return true }
        if nthWeekdays.contains(weekday * 5 + (day - 1) / 7) { return true }
        return false
    }

    /// The last Monday-to-Friday day of a month.
    static func lastWeekday(year: Int, month: Int, monthLength: Int) -> Int {
        switch CivilCalendar.weekday(year: year, month: month, day: monthLength) {
        case 0: return monthLength - 2
        case 6: return monthLength - 1
        default: return monthLength
        }
    }

    /// Quartz's `W`: the weekday nearest `target`, staying inside the month; nil when the month is too short.
    static func nearestWeekday(to target: Int, year: Int, month: Int, monthLength: Int) -> Int? {
        guard target <= monthLength else { return nil }
        switch CivilCalendar.weekday(year: year, month: month, day: target) {
        case 6: return target == 1 ? 3 : target - 1
        case 0: return target == monthLength ? target - 2 : target + 1
        default: return target
        }
    }
}

extension FieldSet {
    fileprivate func contains(where predicate: (Int) -> Bool) -> Bool { members.contains(where: predicate) }
}
