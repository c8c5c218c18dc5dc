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
        guard let t = instant.nextSearchStart else { return nil }
        let c = context(zone)
        if frequency == .once {
            return c.start > t && c.start <= ScheduleRange.latest ? Date(seconds: c.start) : nil
        }
        var seen = 0
        var k = count == nil ? max(0, period(containing: t, c) - 1) : 0
        if count != nil, let perPeriod = occurrencesPerPeriod, k == 0 {
            // Every period from the second on holds the same number of occurrences: skip the counting walk (a
            // count of 1,000,000 from a start in year 0 walked a million periods).
            let skipTo = period(containing: t, c) - 1
            if skipTo > 1 {
                let first = occurrences(period: 0, c).filter { $0 >= c.start }.count
                seen = first + (skipTo - 1) * perPeriod
                k = skipTo
            }
        }
        let last = k + Self.maxPeriods
        while k < last, isWithinRange(period: k, c) {
            for occurrence in occurrences(period: k, c) where occurrence >= c.start {
                if let end = c.end, occurrence > end { return nil }
                if occurrence > ScheduleRange.latest { return nil }
                seen += 1
                if let count, seen > count { return nil }
                if occurrence > t { return Date(seconds: occurrence) }
            }
            k = nextCandidate(after: k, c)
        }
        return nil
    }

    public func previous(before instant: Date, in zone: TimeZone) -> Date? {
        guard let b = instant.previousSearchEnd else { return nil }
        let c = context(zone)
        if frequency == .once {
            return c.start < b ? Date(seconds: c.start) : nil
        }
        if let count {
            // The count is of occurrences since the start, so walk forward from there.
            var found: Int?
            var seen = 0
            var k = 0
            while k < Self.maxPeriods, isWithinRange(period: k, c) {
                for occurrence in occurrences(period: k, c) where occurrence >= c.start {
                    if occurrence >= b || (c.end.map { occurrence > $0 } ?? false) || seen == count {
                        return found.map(Date.init(seconds:))
                    }
                    seen += 1
                    found = occurrence
                }
                k = nextCandidate(after: k, c)
            }
            return found.map(Date.init(seconds:))
        }
        // Nothing after the end can be an answer: start from the end's period (a walk back from 2081 to an
        // end in 2026 took seconds, hour by hour).
        var k = period(containing: min(b, c.end.map { $0 &+ 1 } ?? b), c) + 1
        let stop = max(-1, k - Self.maxPeriods)
        while k > stop {
            let end = c.end ?? Int.max
            let candidates = occurrences(period: k, c).filter { $0 >= c.start && $0 < b && $0 <= end }
            if let last = candidates.last { return Date(seconds: last) }
            k = previousCandidate(before: k, c)
        }
        return nil
    }

    /// How many occurrences each period holds when that number is the same for every period: Hour, Minute and
    /// Second frequencies without filters (their `minutes`/`seconds` lists only expand a period). `nil` otherwise.
    var occurrencesPerPeriod: Int? {
        guard weekDays.isEmpty, monthDays.isEmpty, hours.isEmpty else { return nil }
        switch frequency {
        case .hour: return max(1, minutes.count) * max(1, seconds.count)
        case .minute where minutes.isEmpty: return max(1, seconds.count)
        case .second where minutes.isEmpty && seconds.isEmpty: return 1
        default: return nil
        }
    }

    /// For Hour, Minute and Second frequencies, the wall time at the start of period `k` when the schedule's
    /// day or hour filters rule it out, with the seconds from there back to the start of its day (or hour) and
    /// forward to its end. `nil` when the period can match, or for other frequencies.
    private func excludedSpan(_ k: Int, _ c: Context) -> (start: Int, offset: Int, back: Int, forward: Int)? {
        guard frequency == .hour || frequency == .minute || frequency == .second, let start = periodStart(k, c) else { return nil }
        let offset = c.zone.offset(at: start)
        let wall = LocalDateTime(wallSeconds: start + offset)
        if !dayAllowed(wall.year, wall.month, wall.day) {
            let intoDay = wall.hour * 3600 + wall.minute * 60 + wall.second
            return (start, offset, intoDay, 86_400 - intoDay)
        }
        if !hours.isEmpty && !hours.contains(wall.hour) {
            let intoHour = wall.minute * 60 + wall.second
            return (start, offset, intoHour, 3600 - intoHour)
        }
        return nil
    }

    /// The next period that can hold an occurrence: `k + 1`, or, when period `k` starts on a day (or in an hour)
    /// the filters exclude, the period holding the end of that day (hour). Without this, `monthDays: [31]` every
    /// second walked millions of empty periods and held the caller for seconds. The jump stops at an offset
    /// change, where wall time would no longer follow the arithmetic.
    func nextCandidate(after k: Int, _ c: Context) -> Int {
        guard let span = excludedSpan(k, c) else { return k + 1 }
        var target = span.start + span.forward
        if let transition = c.zone.nextTransition(after: span.start) { target = min(target, transition) }
        return max(k + 1, period(containing: target, c))
    }

    /// The mirror of `nextCandidate`, walking back: the period before the start of the excluded day (hour), when
    /// no offset change lies in between.
    func previousCandidate(before k: Int, _ c: Context) -> Int {
        guard let span = excludedSpan(k, c) else { return k - 1 }
        let target = span.start - span.back - 1
        guard c.zone.offset(at: target) == span.offset, c.zone.nextTransition(after: target).map({ $0 > span.start }) ?? true
        else { return k - 1 }
        return min(k - 1, period(containing: target, c))
    }

    /// Whether period `k` can still hold an instant the engine answers with (see `ScheduleRange`). A
    /// recurrence whose matches have run out (say monthDays [30] every 12 months from February) ends here,
    /// before its period numbers, multiplied by a large interval, overflow.
    func isWithinRange(period k: Int, _ c: Context) -> Bool {
        guard let start = periodStart(k, c) else { return false }
        // Wall-clock starts may lead the instant by up to a day's offset.
        return start <= ScheduleRange.latest + 2 * 86_400
    }

    /// When period `k` starts: an instant for Hour, Minute and Second, wall seconds for Day, Week and Month;
    /// `nil` when the arithmetic would overflow.
    func periodStart(_ k: Int, _ c: Context) -> Int? {
        switch frequency {
        case .once:
            return c.start
        case .hour, .minute, .second:
            return k.checkedMultiplied(by: interval)?.checkedMultiplied(by: unitSeconds)?.checkedAdding(firstPeriodStart(c))
        case .day, .week:
            return firstDay(period: k, c)?.checkedMultiplied(by: 86_400)
        case .month:
            guard let period = yearAndMonth(period: k, c) else { return nil }
            return CivilCalendar.days(year: period.year, month: period.month, day: 1).checkedMultiplied(by: 86_400)
        }
    }

    /// The first day (days since 1970) of period `k` for Day and Week frequencies, overflow-checked.
    func firstDay(period k: Int, _ c: Context) -> Int? {
        switch frequency {
        case .day: return k.checkedMultiplied(by: interval)?.checkedAdding(c.startWall.days)
        case .week: return k.checkedMultiplied(by: interval)?.checkedMultiplied(by: 7)?.checkedAdding(weekStart(c.startWall.days))
        default: return nil
        }
    }

    /// The year and month of period `k` for the Month frequency; `nil` when the arithmetic would overflow or the
    /// year is so far out that the calendar arithmetic could (far past `ScheduleRange` either way).
    func yearAndMonth(period k: Int, _ c: Context) -> (year: Int, month: Int)? {
        let s = c.startWall
        guard let index = k.checkedMultiplied(by: interval)?.checkedAdding(s.year * 12 + (s.month - 1)) else { return nil }
        let (year, month) = CivilCalendar.floorDiv(index, 12)
        guard abs(year) <= 1_000_000 else { return nil }
        return (year, month + 1)
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
            guard let periodStart = periodStart(k, c) else { return [] }
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
            guard let days = firstDay(period: k, c) else { return [] }
            let d = CivilCalendar.date(days: days)
            return dayAllowed(d.year, d.month, d.day) ? [days] : []
        case .week:
            guard let monday = firstDay(period: k, c) else { return [] }
            let wanted = weekDays.isEmpty ? [CivilCalendar.weekday(days: s.days)] : weekDays
            return wanted.map { monday + ($0 + 6) % 7 }.sorted()
        case .month:
            guard let period = yearAndMonth(period: k, c) else { return [] }
            let (year, month) = period
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
