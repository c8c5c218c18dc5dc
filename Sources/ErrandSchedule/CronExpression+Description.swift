/// English descriptions of cron expressions: "At 09:30, Monday through Friday".
extension CronExpression: CustomStringConvertible {
    public var description: String {
        switch form {
        case .every(let seconds): return "Every \(Self.duration(seconds))"
        case .fields(let f, _, let hasSeconds): return Self.describe(f, hasSeconds: hasSeconds)
        }
    }

    static func duration(_ total: Int) -> String {
        var parts: [String] = []
        var rest = total
        for (unit, size) in [("day", 86_400), ("hour", 3600), ("minute", 60), ("second", 1)] where rest >= size {
            let n = rest / size
            rest %= size
            parts.append(n == 1 ? "1 \(unit)" : "\(n) \(unit)s")
        }
        return parts.joined(separator: " ")
    }

    static func describe(_ f: CronFields, hasSeconds: Bool) -> String {
        var text = timePhrase(f, hasSeconds: hasSeconds)
        if let days = dayPhrase(f) { text += ", " + days }
        let months = f.months.members
        if months.count < 12 {
            text += ", in " + Describer.list(Describer.runs(months) { Describer.monthNames[$0 - 1] })
        }
        return text
    }

    private static func timePhrase(_ f: CronFields, hasSeconds: Bool) -> String {
        let seconds = f.seconds.members
        let minutes = f.minutes.members
        let hours = f.hours.members
        let secondFixed = seconds.count == 1
        // "At 09:30", "At 09:30 and 17:30", "At 09:30:15".
        if secondFixed && minutes.count == 1 && hours.count <= 6 {
            let s = hasSeconds && seconds[0] != 0 ? seconds[0] : nil
            return "At " + Describer.list(hours.map { Describer.time($0, minutes[0], s) })
        }
        var parts: [String] = []
        if !(secondFixed && seconds[0] == 0) {
            parts.append(unitPhrase(seconds, range: 0...59, unit: "second"))
        }
        if !(parts.isEmpty == false && minutes.count == 60) {
            parts.append(unitPhrase(minutes, range: 0...59, unit: "minute", past: !parts.isEmpty))
        }
        var text = parts.joined(separator: ", ")
        text = text.prefix(1).uppercased() + text.dropFirst()
        if let h = hourPhrase(hours) { text += ", " + h }
        return text
    }

    /// "every minute", "every 5 minutes", "at minute 30", "at minutes 0, 15 and 45", "at minutes 10 through 20".
    private static func unitPhrase(_ values: [Int], range: ClosedRange<Int>, unit: String, past: Bool = false) -> String {
        let suffix = past ? " of the \(unit == "minute" ? "hour" : "minute")" : ""
        if values.count == range.count { return "every \(unit)" }
        if let step = Describer.uniformStep(values, in: range) { return "every \(step) \(unit)s" }
        if values.count == 1 { return "at \(unit) \(values[0])" + (unit == "minute" ? " past the hour" : "") }
        return "at \(unit)s " + Describer.list(Describer.runs(values) { String($0) }) + suffix
    }

    private static func hourPhrase(_ hours: [Int]) -> String? {
        if hours.count == 24 { return nil }
        if let step = Describer.uniformStep(hours, in: 0...23) { return "every \(step) hours" }
        if hours.count == 1 { return "between \(Describer.time(hours[0], 0)) and \(Describer.time(hours[0], 59))" }
        if hours.last! - hours.first! + 1 == hours.count {
            return "between \(Describer.time(hours.first!, 0)) and \(Describer.time(hours.last!, 59))"
        }
        return "during hours " + Describer.list(Describer.runs(hours) { String($0) })
    }

    private static func dayPhrase(_ f: CronFields) -> String? {
        let domSpecial = f.lastDayOfMonth || f.lastWeekdayOfMonth || !f.nearestWeekdays.isEmpty
        let dowSpecial = !f.lastWeekdaysInMonth.isEmpty || !f.nthWeekdays.isEmpty
        let domRestricted = domSpecial || f.daysOfMonth.count < 31
        let dowRestricted = dowSpecial || f.daysOfWeek.count < 7
        let dom = domRestricted ? domPhrase(f) : nil
        let dow = dowRestricted ? dowPhrase(f) : nil
        switch (dom, dow) {
        case (nil, nil): return nil
        case (let d?, nil): return d
        case (nil, let w?): return w
        case (let d?, let w?):
            return f.daysMustMatchBoth ? "\(d), if it is \(w.hasPrefix("on ") ? String(w.dropFirst(3)) : w)" : "\(d) or \(w)"
        }
    }

    private static func domPhrase(_ f: CronFields) -> String {
        var items: [String] = []
        let days = f.daysOfMonth.members
        if !days.isEmpty {
            if let step = Describer.uniformStep(days, in: 1...31) {
                items.append("every \(step) days")
            } else {
                let runs = Describer.runs(days) { String($0) }
                items.append((days.count == 1 ? "day " : "days ") + Describer.list(runs))
            }
        }
        if f.lastDayOfMonth { items.append("the last day") }
        if f.lastWeekdayOfMonth { items.append("the last weekday") }
        for n in f.nearestWeekdays.members { items.append("the weekday nearest day \(n)") }
        return "on " + Describer.list(items) + " of the month"
    }

    private static func dowPhrase(_ f: CronFields) -> String {
        var items: [String] = []
        let days = f.daysOfWeek.members
        if !days.isEmpty {
            // Monday-first order reads naturally: "Monday through Friday", "Saturday and Sunday".
            let ordered = days.map { ($0 + 6) % 7 }.sorted()
            items += Describer.runs(ordered) { Describer.weekdayNames[($0 + 1) % 7] }
        }
        var monthly: [String] = []
        for d in f.lastWeekdaysInMonth.members { monthly.append("the last \(Describer.weekdayNames[d])") }
        for code in f.nthWeekdays.members {
            monthly.append("the \(Describer.ordinal(code % 5 + 1)) \(Describer.weekdayNames[code / 5])")
        }
        let plain = items.isEmpty ? nil : (items.count == 1 && !items[0].contains("through") ? "on " : "") + Describer.list(items)
        let special = monthly.isEmpty ? nil : "on " + Describer.list(monthly) + " of the month"
        return [plain, special].compactMap { $0 }.joined(separator: " and ")
    }
}
