import Foundation

/// Computing a recurrence's instants. Periods are numbered from the one holding `startTime` (period 0); each
/// period's candidates are expanded by the finer `schedule` lists, filtered by the coarser ones, mapped to
/// instants, and kept when they fall in [startTime, endTime] and within `count`.
extension Recurrence {
    /// Past this many periods without a match the recurrence is treated as finished.
    static let maxPeriods = 5_000_000

    struct Context {
        let zone: ZoneTimeline
        let start: Int
        let startWall: LocalDateTime
        let end: Int?
    }

    func context(_ fallback: TimeZone) -> Context {
        let tz = timeZone ?? fallback
        let zone = ZoneTimeline(tz)
        let start =
            startTime.map { Self.resolve($0, tz) }
            ?? Self.rfcInstant(wall: 0, zone)  // no startTime: 1970-01-01T00:00 on the zone's wall clock
        let startWall = LocalDateTime(wallSeconds: start + zone.offset(at: start))
        return Context(zone: zone, start: start, startWall: startWall, end: endTime.map { Self.resolve($0, tz) })
    }

    public func next(after instant: Date, in zone: TimeZone) -> Date? {
        let c = context(zone)
        let t = instant.floorSeconds
        if frequency == .once {
            return c.start > t ? Date(seconds: c.start) : nil
        }
        var seen = 0
        var k = count == nil ? max(0, period(containing: t, c) - 1) : 0
        let last = k + Self.maxPeriods
        while k < last {
            for occurrence in occurrences(period: k, c) where occurrence >= c.start {
                if let end = c.end, occurrence > end { return nil }
                seen += 1
                if let count, seen > count { return nil }
                if occurrence > t { return Date(seconds: occurrence) }
            }
            k += 1
        }
        return nil
    }

    public func previous(before instant: Date, in zone: TimeZone) -> Date? {
        let c = context(zone)
        let b = instant.ceilSeconds
        if frequency == .once {
            return c.start < b ? Date(seconds: c.start) : nil
        }
        if let count {
            // The count is of occurrences since the start, so walk forward from there.
            var found: Int?
            var seen = 0
            var k = 0
            while k < Self.maxPeriods {
                for occurrence in occurrences(period: k, c) where occurrence >= c.start {
                    if occurrence >= b || (c.end.map { occurrence > $0 } ?? false) || seen == count {
                        return found.map(Date.init(seconds:))
                    }
                    seen += 1
                    found = occurrence
                }
                k += 1
            }
            return found.map(Date.init(seconds:))
        }
        var k = period(containing: b, c) + 1
        let stop = max(-1, k - Self.maxPeriods)
        while k > stop {
            let end = c.end ?? Int.max
            let candidates = occurrences(period: k, c).filter { $0 >= c.start && $0 < b && $0 <= end }
            if let last = candidates.last { return Date(seconds: last) }
            k -= 1
        }
        return nil
    }

    /// The number of the period holding instant `t` (may be negative before the start).
    func period(containing t: Int, _ c: Context) -> Int {
        let wall = LocalDateTime(wallSeconds: t + c.zone.offset(at: t))
        switch frequency {
        case .day:
            return CivilCalendar.floorDiv(wall.days - c.startWall.days, interval).quotient
        case .week:
            return CivilCalendar.floorDiv(weekStart(wall.days) - weekStart(c.startWall.days), 7 * interval).quotient
        case .month:
            let months = (wall.year * 12 + wall.month) - (c.startWall.year * 12 + c.startWall.month)
            return CivilCalendar.floorDiv(months, interval).quotient
        case .hour, .minute, .second:
            return CivilCalendar.floorDiv(t - firstPeriodStart(c), interval * unitSeconds).quotient
        case .once:
            return 0
        }
    }

    var unitSeconds: Int {
        switch frequency {
        case .hour: return 3600
        case .minute: return 60
        default: return 1
        }
    }

    /// Monday of the week holding a day number (weeks start on Monday, as RFC 5545's default WKST).
    func weekStart(_ days: Int) -> Int { days - (CivilCalendar.weekday(days: days) + 6) % 7 }

    /// Sub-daily frequencies: the instant the start's local hour (or minute) began.
    func firstPeriodStart(_ c: Context) -> Int {
        let w = c.startWall.wallSeconds
        return c.start - CivilCalendar.floorDiv(w, unitSeconds).remainder
    }

    /// The instants of period `k`, sorted and without duplicates (not yet limited to start, end and count).
    func occurrences(period k: Int, _ c: Context) -> [Int] {
        var out: [Int] = []
        switch frequency {
        case .once:
            return [c.start]
        case .hour, .minute, .second:
            let periodStart = firstPeriodStart(c) + k * interval * unitSeconds
            let offsets: [Int]
            switch frequency {
            case .hour:
                let ms = minutes.isEmpty ? [c.startWall.minute] : minutes
                let ss = seconds.isEmpty ? [c.startWall.second] : seconds
                offsets = ms.flatMap { m in ss.map { m * 60 + $0 } }
            case .minute:
                offsets = seconds.isEmpty ? [c.startWall.second] : seconds
            default:
                offsets = [0]
            }
            for o in offsets {
                let t = periodStart + o
                let wall = LocalDateTime(wallSeconds: t + c.zone.offset(at: t))
                if !hours.isEmpty && !hours.contains(wall.hour) { continue }
                if frequency != .hour && !minutes.isEmpty && !minutes.contains(wall.minute) { continue }
                if frequency == .second && !seconds.isEmpty && !seconds.contains(wall.second) { continue }
                if !dayAllowed(wall.year, wall.month, wall.day) { continue }
                out.append(t)
            }
        case .day, .week, .month:
            let hs = hours.isEmpty ? [c.startWall.hour] : hours
            let ms = minutes.isEmpty ? [c.startWall.minute] : minutes
            let ss = seconds.isEmpty ? [c.startWall.second] : seconds
            for days in calendarDays(period: k, c) {
                for h in hs {
                    for m in ms {
                        for s in ss {
                            out.append(Self.rfcInstant(wall: days * 86_400 + h * 3600 + m * 60 + s, c.zone))
                        }
                    }
                }
            }
        }
        out.sort()
        var unique: [Int] = []
        for t in out where unique.last != t { unique.append(t) }
        return unique
    }

    /// Day filters for Day and sub-daily frequencies (weekDays and monthDays narrow, never expand).
    func dayAllowed(_ year: Int, _ month: Int, _ day: Int) -> Bool {
        if !weekDays.isEmpty && !weekDays.contains(CivilCalendar.weekday(year: year, month: month, day: day)) {
            return false
        }
        if !monthDays.isEmpty {
            let length = CivilCalendar.daysInMonth(year: year, month: month)
            if !monthDays.contains(where: { $0 == day || length + 1 + $0 == day }) { return false }
        }
        return true
    }

    /// Day numbers of period `k` for Day, Week and Month frequencies.
    func calendarDays(period k: Int, _ c: Context) -> [Int] {
        let s = c.startWall
        switch frequency {
        case .day:
            let days = s.days + k * interval
            let d = CivilCalendar.date(days: days)
            return dayAllowed(d.year, d.month, d.day) ? [days] : []
        case .week:
            let monday = weekStart(s.days) + 7 * k * interval
            let wanted = weekDays.isEmpty ? [CivilCalendar.weekday(days: s.days)] : weekDays
            return wanted.map { monday + ($0 + 6) % 7 }.sorted()
        case .month:
            let index = s.year * 12 + (s.month - 1) + k * interval
            let year = CivilCalendar.floorDiv(index, 12).quotient
            let month = CivilCalendar.floorDiv(index, 12).remainder + 1
            let length = CivilCalendar.daysInMonth(year: year, month: month)
            var days = Set<Int>()
            for d in monthDays {
                let day = d > 0 ? d : length + 1 + d
                if day >= 1 && day <= length { days.insert(day) }
            }
            let firstWeekday = CivilCalendar.weekday(year: year, month: month, day: 1)
            for o in monthlyOccurrences {
                let first = 1 + (o.weekday - firstWeekday + 7) % 7
                let all = Array(stride(from: first, through: length, by: 7))
                let i = o.occurrence > 0 ? o.occurrence - 1 : all.count + o.occurrence
                if i >= 0 && i < all.count { days.insert(all[i]) }
            }
            if monthDays.isEmpty && monthlyOccurrences.isEmpty && s.day <= length { days.insert(s.day) }
            let base = CivilCalendar.days(year: year, month: month, day: 1) - 1
            return days.sorted().map { base + $0 }
        default:
            return []
        }
    }
}
