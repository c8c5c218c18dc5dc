/// Proleptic Gregorian calendar arithmetic on plain integers.
///
/// The engine works on "wall seconds": seconds since 1970-01-01T00:00:00 of the *local* clock, as if the local
/// clock were UTC. Doing the calendar maths ourselves (Howard Hinnant's `days_from_civil` algorithms) keeps the
/// hot path free of `Calendar` allocations and makes leap-year rules explicit: 2000 is a leap year, 2100 is not.
enum CivilCalendar {
    /// Days since 1970-01-01 for a civil date. `month` is 1...12, `day` 1...31.
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day number (days since 1970-01-01).
    static func date(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Day of the week, 0 = Sunday ... 6 = Saturday (1970-01-01 was a Thursday).
    static func weekday(days: Int) -> Int {
        let r = (days + 4) % 7
        return r < 0 ? r + 7 : r
    }

    static func weekday(year: Int, month: Int, day: Int) -> Int {
        weekday(days: days(year: year, month: month, day: day))
    }

    static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Floor division that rounds towards negative infinity, so wall seconds before 1970 split correctly.
    static func floorDiv(_ a: Int, _ b: Int) -> (quotient: Int, remainder: Int) {
        let q = a / b
        let r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }
}
