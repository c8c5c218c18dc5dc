import Foundation

/// Reading recurrence objects from JSON, rejecting anything unknown or out of range with the field's path.
extension Recurrence {
    /// Parses a recurrence object; throws a `ScheduleError` whose `field` is the JSON path at fault.
    public init(json: Data) throws(ScheduleError) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: json)
        } catch {
            throw ScheduleError(field: nil, "recurrence is not valid JSON")
        }
        guard let dict = object as? [String: Any] else {
            throw ScheduleError(field: nil, "recurrence must be a JSON object")
        }
        try self.init(dictionary: dict)
    }

    static let topKeys: Set = ["frequency", "interval", "startTime", "endTime", "count", "timeZone", "schedule"]
    static let scheduleKeys: Set = ["seconds", "minutes", "hours", "weekDays", "monthDays", "monthlyOccurrences"]

    init(dictionary dict: [String: Any]) throws(ScheduleError) {
        for key in dict.keys where !Self.topKeys.contains(key) {
            throw ScheduleError(field: key, "unknown field (allowed: \(Self.topKeys.sorted().joined(separator: ", ")))")
        }
        guard let freqText = dict["frequency"] as? String else {
            throw ScheduleError(field: "frequency", "is required: one of \(Self.frequencyNames)")
        }
        guard let freq = Frequency.allCases.first(where: { $0.rawValue.lowercased() == freqText.lowercased() }) else {
            throw ScheduleError(field: "frequency", "\"\(freqText)\" is not one of \(Self.frequencyNames)")
        }
        self.init(frequency: freq)
        if let v = dict["interval"] {
            interval = try Self.integer(v, field: "interval", range: 1...1_000_000)
        }
        if let v = dict["count"] { count = try Self.integer(v, field: "count", range: 1...1_000_000) }
        if let v = dict["timeZone"] {
            guard let name = v as? String, let tz = Self.zone(named: name) else {
                throw ScheduleError(field: "timeZone", "\(Self.show(v)) is not an IANA time zone such as Europe/London")
            }
            timeZone = tz
        }
        if let v = dict["startTime"] { startTime = try Self.timePoint(v, field: "startTime") }
        if let v = dict["endTime"] { endTime = try Self.timePoint(v, field: "endTime") }
        if freq == .once && startTime == nil {
            throw ScheduleError(field: "startTime", "is required when frequency is Once")
        }
        if let s = startTime, let e = endTime, let z = timeZone ?? TimeZone(identifier: "UTC"),
            Self.resolve(e, z) < Self.resolve(s, z)
        {
            throw ScheduleError(field: "endTime", "is before startTime")
        }
        if let v = dict["schedule"] {
            guard let schedule = v as? [String: Any] else {
                throw ScheduleError(field: "schedule", "must be an object with \(Self.scheduleKeys.sorted().joined(separator: ", "))")
            }
            try readSchedule(schedule)
        }
    }

    static var frequencyNames: String { Frequency.allCases.map(\.rawValue).joined(separator: ", ") }

    /// IANA names, plus "UTC"/"Z" in any case.
    public static func zone(named name: String) -> TimeZone? {
        if ["utc", "z", "gmt"].contains(name.lowercased()) { return TimeZone(identifier: "UTC") }
        return TimeZone(identifier: name)
    }

    private mutating func readSchedule(_ s: [String: Any]) throws(ScheduleError) {
        for key in s.keys where !Self.scheduleKeys.contains(key) {
            throw ScheduleError(
                field: "schedule.\(key)", "unknown field (allowed: \(Self.scheduleKeys.sorted().joined(separator: ", ")))")
        }
        if frequency == .once {
            throw ScheduleError(field: "schedule", "is not allowed when frequency is Once")
        }
        seconds = try Self.integers(s["seconds"], field: "schedule.seconds", range: 0...59)
        minutes = try Self.integers(s["minutes"], field: "schedule.minutes", range: 0...59)
        hours = try Self.integers(s["hours"], field: "schedule.hours", range: 0...23)
        monthDays = try Self.integers(s["monthDays"], field: "schedule.monthDays", range: -31...31)
        if let i = monthDays.firstIndex(of: 0) {
            throw ScheduleError(field: "schedule.monthDays[\(i)]", "0 is not a day; use 1...31, or -1 for the last day")
        }
        if let v = s["weekDays"] {
            guard let list = v as? [Any] else { throw ScheduleError(field: "schedule.weekDays", "must be a list of weekday names") }
            for (i, item) in list.enumerated() {
                weekDays.append(try Self.weekday(item, field: "schedule.weekDays[\(i)]"))
            }
        }
        if let v = s["monthlyOccurrences"] {
            guard let list = v as? [Any] else {
                throw ScheduleError(field: "schedule.monthlyOccurrences", "must be a list of {\"day\", \"occurrence\"} objects")
            }
            for (i, item) in list.enumerated() {
                let path = "schedule.monthlyOccurrences[\(i)]"
                guard let o = item as? [String: Any], let day = o["day"] else {
                    throw ScheduleError(field: path, "must be an object like {\"day\": \"Friday\", \"occurrence\": -1}")
                }
                for key in o.keys where key != "day" && key != "occurrence" {
                    throw ScheduleError(field: "\(path).\(key)", "unknown field (allowed: day, occurrence)")
                }
                let weekday = try Self.weekday(day, field: "\(path).day")
                let occurrence = try Self.integer(o["occurrence"] ?? 0, field: "\(path).occurrence", range: -5...5)
                guard occurrence != 0 else {
                    throw ScheduleError(field: "\(path).occurrence", "is required: 1...5, or -1...-5 counting from the end")
                }
                monthlyOccurrences.append(MonthlyOccurrence(weekday: weekday, occurrence: occurrence))
            }
        }
        if !weekDays.isEmpty && frequency == .month {
            throw ScheduleError(field: "schedule.weekDays", "is not allowed with frequency Month; use monthlyOccurrences")
        }
        if !monthDays.isEmpty && frequency == .week {
            throw ScheduleError(field: "schedule.monthDays", "is not allowed with frequency Week; use weekDays")
        }
        if !monthlyOccurrences.isEmpty && frequency != .month {
            throw ScheduleError(field: "schedule.monthlyOccurrences", "is only allowed with frequency Month")
        }
    }

    static func show(_ v: Any) -> String {
        if let s = v as? String { return "\"\(s)\"" }
        if let n = v as? NSNumber, String(cString: n.objCType) == "c" { return n.boolValue ? "true" : "false" }
        return "\(v)"
    }

    static func integer(_ v: Any, field: String, range: ClosedRange<Int>) throws(ScheduleError) -> Int {
        // JSON booleans arrive as NSNumber too; their Objective-C type is "c".
        guard let n = v as? NSNumber, String(cString: n.objCType) != "c", n.doubleValue == n.doubleValue.rounded(),
            abs(n.doubleValue) < 1e15
        else {
            throw ScheduleError(field: field, "\(show(v)) is not a whole number (allowed: \(range.lowerBound)-\(range.upperBound))")
        }
        let i = n.intValue
        guard range.contains(i) else {
            throw ScheduleError(field: field, "\(i) is out of range \(range.lowerBound)-\(range.upperBound)")
        }
        return i
    }

    static func integers(_ v: Any?, field: String, range: ClosedRange<Int>) throws(ScheduleError) -> [Int] {
        guard let v else { return [] }
        guard let list = v as? [Any] else {
            throw ScheduleError(field: field, "must be a list of whole numbers in \(range.lowerBound)-\(range.upperBound)")
        }
        var out: [Int] = []
        for (i, item) in list.enumerated() {
            out.append(try integer(item, field: "\(field)[\(i)]", range: range))
        }
        return Array(Set(out)).sorted()
    }

    static func weekday(_ v: Any, field: String) throws(ScheduleError) -> Int {
        if let s = v as? String {
            let lower = s.lowercased()
            if let i = Describer.weekdayNames.firstIndex(where: {
                $0.lowercased() == lower || (lower.count == 3 && $0.lowercased().hasPrefix(lower))
            }) {
                return i
            }
        }
        throw ScheduleError(field: field, "\(show(v)) is not a weekday (Sunday, Monday, … Saturday)")
    }

    static func timePoint(_ v: Any, field: String) throws(ScheduleError) -> TimePoint {
        guard let text = v as? String else {
            throw ScheduleError(field: field, "must be an ISO-8601 string such as 2026-01-05T09:00:00 or 2026-01-05T09:00:00Z")
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let hasOffset =
            trimmed.hasSuffix("Z") || trimmed.hasSuffix("z")
            || (trimmed.count > 16 && ["+", "-"].contains(trimmed[trimmed.index(trimmed.endIndex, offsetBy: -6)]))
        guard let utc = TimeZone(identifier: "UTC"), let date = ISO8601.date(from: trimmed, defaultZone: utc) else {
            throw ScheduleError(field: field, "\"\(text)\" is not an ISO-8601 date-time such as 2026-01-05T09:00:00")
        }
        if hasOffset { return .instant(date) }
        let l = LocalDateTime(wallSeconds: date.floorSeconds)
        return .local(year: l.year, month: l.month, day: l.day, hour: l.hour, minute: l.minute, second: l.second)
    }

    /// A time point as an instant in `zone` (RFC 5545: a skipped wall time moves forward by the gap's length,
    /// a repeated one takes its first occurrence).
    static func resolve(_ p: TimePoint, _ zone: TimeZone) -> Int {
        switch p {
        case .instant(let d): return d.floorSeconds
        case .local(let y, let mo, let d, let h, let mi, let s):
            return rfcInstant(
                wall: LocalDateTime(year: y, month: mo, day: d, hour: h, minute: mi, second: s).wallSeconds, ZoneTimeline(zone))
        }
    }

    static func rfcInstant(wall: Int, _ zone: ZoneTimeline) -> Int {
        switch zone.resolve(wall: wall) {
        case .unique(let i), .repeated(let i, _): return i
        case .skipped(_, let shifted): return shifted
        }
    }
}
