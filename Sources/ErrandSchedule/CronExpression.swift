import Foundation

/// A cron expression: 5 fields (`min hour dom month dow`), 6 fields (seconds first, as Kudu's `settings.job`),
/// a macro (`@daily`, …) or `@every 1h30m`.
///
/// Parsing is strict and every error names its field: `hour: 25 is out of range 0-23`.
/// Matching follows Debian cron (as reproduced by cronsim): see `CronFields.daysMustMatchBoth` for the
/// day-of-month / day-of-week rule and `DaylightSavingRule` for clock changes.
public struct CronExpression: Schedule, Hashable {
    /// The text as given.
    public let source: String
    let form: Form

    init(source: String, form: Form) {
        self.source = source
        self.form = form
    }

    enum Form: Hashable {
        case fields(CronFields, rule: DaylightSavingRule, hasSeconds: Bool)
        /// `@every`: fires at every multiple of `seconds` since 1970-01-01T00:00:00Z.
        case every(seconds: Int)
    }

    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    /// Parses an expression; throws a `ScheduleError` naming the faulty field.
    public init(parsing text: String) throws(ScheduleError) {
        source = text
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw ScheduleError(field: nil, "the expression is empty") }
        var parts = trimmed.split(whereSeparator: \.isWhitespace).map(String.init)
        // `trimmingCharacters` and `isWhitespace` disagree on a few characters: text of those alone has no parts.
        guard let first = parts.first else { throw ScheduleError(field: nil, "the expression is empty") }
        if first.hasPrefix("@") {
            let macro = parts[0].lowercased()
            if macro == "@every" {
                guard parts.count == 2 else {
                    throw ScheduleError(field: "@every", "expects one duration such as 90s, 5m or 1h30m")
                }
                form = .every(seconds: try Self.parseDuration(parts[1]))
                return
            }
            guard let expansion = Self.macros[macro], parts.count == 1 else {
                throw ScheduleError(
                    field: nil,
                    "unknown macro \(parts[0]) (use @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every)")
            }
            parts = expansion.split(separator: " ").map(String.init)
        }
        let fields = try CronParser.parse(fields: parts)
        // Fixed-time: the fields down to the hour do not start with `*` (seconds too, in the six-field form, as
        // Azure's TimerTrigger and Cronos read it), so `0 30 2 * * *` is "daily at 02:30" like `30 2 * * *`.
        let fixedTime = parts.prefix(parts.count - 3).allSatisfy { !$0.hasPrefix("*") }
        form = .fields(fields, rule: fixedTime ? .wallClock : .elapsed, hasSeconds: parts.count == 6)
    }

    /// The longest `@every` interval: one year of 365 days. Longer intervals are better written as cron fields
    /// (`@yearly`), and the bound keeps every multiple the search computes far from `Int`'s limits.
    public static let maxEverySeconds = 31_536_000

    /// Go-style durations: one or more `<number><unit>` with units d, h, m, s (`90s`, `1h30m`, `2d`), in total
    /// 1 s to `maxEverySeconds`. Sums and products are overflow-checked: a huge count is refused, not a trap.
    static func parseDuration(_ text: String) throws(ScheduleError) -> Int {
        var total = 0
        var digits = ""
        var sawUnit = false
        let tooLong = ScheduleError(
            field: "@every", "\"\(text)\": the interval must be at most \(maxEverySeconds) seconds (365d); use @yearly or cron fields")
        for ch in text.lowercased() {
            if ch.isASCIIDigit {
                digits.append(ch)
                continue
            }
            let unit: Int
            switch ch {
            case "d": unit = 86_400
            case "h": unit = 3600
            case "m": unit = 60
            case "s": unit = 1
            default:
                throw ScheduleError(field: "@every", "\"\(text)\": unknown unit '\(ch)' (use d, h, m, s, e.g. 1h30m)")
            }
            guard !digits.isEmpty else {
                throw ScheduleError(field: "@every", "\"\(text)\": each unit needs a number before it, e.g. 1h30m")
            }
            // Int("99999999999999999999") is nil: too many digits is too long, not a missing number.
            guard let n = Int(digits), let seconds = n.checkedMultiplied(by: unit), let sum = total.checkedAdding(seconds),
                sum <= maxEverySeconds
            else { throw tooLong }
            total = sum
            digits = ""
            sawUnit = true
        }
        guard digits.isEmpty, sawUnit else {
            throw ScheduleError(field: "@every", "\"\(text)\": a number needs a unit (d, h, m or s), e.g. 90s")
        }
        guard total > 0 else { throw ScheduleError(field: "@every", "\"\(text)\": the interval must be at least 1s") }
        return total
    }

    /// How this expression treats daylight-saving changes (always `.elapsed` for `@every`).
    public var daylightSavingRule: DaylightSavingRule {
        if case .fields(_, let rule, _) = form { return rule }
        return .elapsed
    }

    /// About 401 years: past this a field combination is treated as never matching again.
    static let horizon = 401 * 366 * 86_400

    public func next(after instant: Date, in zone: TimeZone) -> Date? {
        guard let t = instant.nextSearchStart else { return nil }
        let result: Int?
        switch form {
        case .every(let step):
            result = (CivilCalendar.floorDiv(t, step).quotient + 1).checkedMultiplied(by: step)
        case .fields(let fields, let rule, _):
            let timeline = ZoneTimeline(zone)
            result =
                rule == .wallClock
                ? Self.nextOnWallClock(fields, after: t, timeline)
                : Self.nextElapsed(fields, after: t, timeline)
        }
        guard let result, result <= ScheduleRange.latest else { return nil }
        return Date(seconds: result)
    }

    public func previous(before instant: Date, in zone: TimeZone) -> Date? {
        guard let b = instant.previousSearchEnd else { return nil }
        let result: Int?
        switch form {
        case .every(let step):
            result = CivilCalendar.floorDiv(b - 1, step).quotient.checkedMultiplied(by: step)
        case .fields(let fields, let rule, _):
            let timeline = ZoneTimeline(zone)
            result =
                rule == .wallClock
                ? Self.previousOnWallClock(fields, before: b, timeline)
                : Self.previousElapsed(fields, before: b, timeline)
        }
        guard let result, result >= ScheduleRange.earliest else { return nil }
        return Date(seconds: result)
    }

    // MARK: - Elapsed rule: every real instant whose local time matches.

    /// Walks the zone's constant-offset segments from `t`; inside one segment wall time and real time move
    /// together, so the first wall match inside the segment is the answer.
    static func nextElapsed(_ f: CronFields, after t: Int, _ zone: ZoneTimeline) -> Int? {
        var cursor = t
        let end = t + horizon
        while cursor < end {
            let segmentStart = cursor + 1
            let offset = zone.offset(at: segmentStart)
            let segmentEnd = zone.nextTransition(after: segmentStart)
            let wallLimit = (segmentEnd ?? end) - 1 + offset
            if let wall = f.firstMatch(atOrAfter: segmentStart + offset, notAfter: wallLimit) {
                return wall - offset
            }
            guard let segmentEnd else { return nil }
            cursor = segmentEnd - 1
        }
        return nil
    }

    static func previousElapsed(_ f: CronFields, before b: Int, _ zone: ZoneTimeline) -> Int? {
        var end = b
        let start = b - horizon
        while end > start {
            let last = end - 1
            let offset = zone.offset(at: last)
            let segmentStart = zone.lastTransition(atOrBefore: last)
            let wallLimit = (segmentStart ?? start) + offset
            if let wall = f.lastMatch(atOrBefore: last + offset, notBefore: wallLimit) {
                return wall - offset
            }
            guard let segmentStart else { return nil }
            end = segmentStart
        }
        return nil
    }

    // MARK: - Wall-clock rule (fixed-time jobs, Debian cron).

    /// The instant a matching wall time fires at: its only or first occurrence, or the end of the gap that
    /// swallowed it. This map never decreases as wall time increases, which makes the searches below exact.
    static func debianInstant(wall: Int, _ zone: ZoneTimeline) -> Int {
        switch zone.resolve(wall: wall) {
        case .unique(let i): return i
        case .repeated(let first, _): return first
        case .skipped(let transition, _): return transition
        }
    }

    static func nextOnWallClock(_ f: CronFields, after t: Int, _ zone: ZoneTimeline) -> Int? {
        var wall = t + zone.offset(at: t)
        while true {
            guard let m = f.firstMatch(atOrAfter: wall + 1, notAfter: wall + horizon) else { return nil }
            let instant = debianInstant(wall: m, zone)
            // A wall time already passed on the first pass of a repeated hour is not run again.
            if instant > t { return instant }
            wall = m
        }
    }

    static func previousOnWallClock(_ f: CronFields, before b: Int, _ zone: ZoneTimeline) -> Int? {
        let last = b - 1
        // Before a fall-back the offset was larger: start from the latest wall time that can map before `b`.
        let offset = max(zone.offset(at: last), zone.offset(at: last - 2 * 86_400))
        var wall = last + offset + 1
        while true {
            guard let m = f.lastMatch(atOrBefore: wall - 1, notBefore: wall - horizon) else { return nil }
            let instant = debianInstant(wall: m, zone)
            if instant < b { return instant }
            wall = m
        }
    }
}
