/// Wall-clock search: the next or previous local date-time whose fields all match.
///
/// These loops know nothing about time zones; `CronExpression` maps their results to instants.
/// Each level (month, day, hour, minute, second) jumps straight to its next allowed value and resets the
/// levels below it, so a search costs a handful of steps, not one step per second.
extension CronFields {
    /// The first matching wall time `>= start` and `<= limit` (both wall seconds), if any.
    func firstMatch(atOrAfter start: Int, notAfter limit: Int) -> Int? {
        var t = LocalDateTime(wallSeconds: start)
        let limitYear = LocalDateTime(wallSeconds: limit).year
        while true {
            // Carry overflows upwards.
            if t.second > 59 { t.second = 0; t.minute += 1 }
            if t.minute > 59 { t.minute = 0; t.hour += 1 }
            if t.hour > 23 { t.hour = 0; t.day += 1 }
            if t.day > CivilCalendar.daysInMonth(year: t.year, month: t.month) { t.day = 1; t.month += 1 }
            if t.month > 12 { t.month = 1; t.year += 1 }
            if t.year > limitYear { return nil }

            guard let month = months.first(atOrAfter: t.month) else {
                t = LocalDateTime(year: t.year + 1, month: 1, day: 1)
                continue
            }
            if month != t.month { t = LocalDateTime(year: t.year, month: month, day: 1) }

            let monthLength = CivilCalendar.daysInMonth(year: t.year, month: t.month)
            var weekday = CivilCalendar.weekday(year: t.year, month: t.month, day: t.day)
            var day = t.day
            while day <= monthLength
                && !dayMatches(year: t.year, month: t.month, day: day, weekday: weekday, monthLength: monthLength)
            {
                day += 1
                weekday = (weekday + 1) % 7
            }
            if day > monthLength {
                t = LocalDateTime(year: t.year, month: t.month, day: monthLength, hour: 24)
                continue
            }
            if day != t.day { t = LocalDateTime(year: t.year, month: t.month, day: day) }

            guard let hour = hours.first(atOrAfter: t.hour) else {
                t.hour = 24; t.minute = 0; t.second = 0
                continue
            }
            if hour != t.hour { t.hour = hour; t.minute = 0; t.second = 0 }

            guard let minute = minutes.first(atOrAfter: t.minute) else {
                t.minute = 60; t.second = 0
                continue
            }
            if minute != t.minute { t.minute = minute; t.second = 0 }

            guard let second = seconds.first(atOrAfter: t.second) else {
                t.second = 60
                continue
            }
            t.second = second
            let wall = t.wallSeconds
            return wall <= limit ? wall : nil
        }
    }

    /// The last matching wall time `<= start` and `>= limit` (both wall seconds), if any.
    func lastMatch(atOrBefore start: Int, notBefore limit: Int) -> Int? {
        var t = LocalDateTime(wallSeconds: start)
        let limitYear = LocalDateTime(wallSeconds: limit).year
        while true {
            // Borrow underflows upwards.
            if t.second < 0 { t.second = 59; t.minute -= 1 }
            if t.minute < 0 { t.minute = 59; t.hour -= 1 }
            if t.hour < 0 { t.hour = 23; t.day -= 1 }
            if t.day < 1 {
                t.month -= 1
                if t.month < 1 { t.month = 12; t.year -= 1 }
                t.day = CivilCalendar.daysInMonth(year: t.year, month: t.month)
            }
            if t.year < limitYear { return nil }

            guard let month = months.last(atOrBefore: t.month) else {
                t = LocalDateTime(year: t.year - 1, month: 12, day: 31, hour: 23, minute: 59, second: 59)
                continue
            }
            if month != t.month {
                t = LocalDateTime(
                    year: t.year, month: month, day: CivilCalendar.daysInMonth(year: t.year, month: month),
                    hour: 23, minute: 59, second: 59)
            }

            let monthLength = CivilCalendar.daysInMonth(year: t.year, month: t.month)
            var weekday = CivilCalendar.weekday(year: t.year, month: t.month, day: t.day)
            var day = t.day
            while day >= 1
                && !dayMatches(year: t.year, month: t.month, day: day, weekday: weekday, monthLength: monthLength)
            {
                day -= 1
                weekday = (weekday + 6) % 7
            }
            if day < 1 {
                t = LocalDateTime(year: t.year, month: t.month, day: 1, hour: -1, minute: 59, second: 59)
                continue
            }
            if day != t.day { t = LocalDateTime(year: t.year, month: t.month, day: day, hour: 23, minute: 59, second: 59) }

            guard let hour = hours.last(atOrBefore: t.hour) else {
                t.hour = -1; t.minute = 59; t.second = 59
                continue
            }
            if hour != t.hour { t.hour = hour; t.minute = 59; t.second = 59 }

            guard let minute = minutes.last(atOrBefore: t.minute) else {
                t.minute = -1; t.second = 59
                continue
            }
            if minute != t.minute { t.minute = minute; t.second = 59 }

            guard let second = seconds.last(atOrBefore: t.second) else {
                t.second = -1
                continue
            }
            t.second = second
            let wall = t.wallSeconds
            return wall >= limit ? wall : nil
        }
    }
}
