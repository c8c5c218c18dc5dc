/// Turns cron text into `CronFields`, with errors that name the field and what it allows.
///
/// Accepted per field: `*`, `?` (day fields only), numbers, names (`JAN`/`January`, `MON`/`Monday`, any case),
/// ranges `a-b`, steps `*/n`, `a/n` (from a to the field's maximum), `a-b/n`, and comma lists mixing them.
/// Day-of-month also takes `L`, `LW` and `15W`; day-of-week takes `7` for Sunday, `5L`/`FRIL` and `5#3`/`FRI#3`.
struct CronParser {
    /// One field's name, bounds and names.
    struct Spec {
        let name: String
        let range: ClosedRange<Int>
        let names: [String]
        let firstNameValue: Int
    }

    static let second = Spec(name: "second", range: 0...59, names: [], firstNameValue: 0)
    static let minute = Spec(name: "minute", range: 0...59, names: [], firstNameValue: 0)
    static let hour = Spec(name: "hour", range: 0...23, names: [], firstNameValue: 0)
    static let dayOfMonth = Spec(name: "day-of-month", range: 1...31, names: [], firstNameValue: 1)
    static let month = Spec(
        name: "month", range: 1...12,
        names: [
            "january", "february", "march", "april", "may", "june", "july", "august", "september",
            "october", "november", "december",
        ],
        firstNameValue: 1)
    static let dayOfWeek = Spec(
        name: "day-of-week", range: 0...7,
        names: ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"],
        firstNameValue: 0)

    /// Parses five fields (`min hour dom month dow`) or six (seconds first).
    static func parse(fields texts: [String]) throws(ScheduleError) -> CronFields {
        var texts = texts
        if texts.count == 5 { texts.insert("0", at: 0) }
        guard texts.count == 6 else {
            throw ScheduleError(
                field: nil,
                "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (second first), found \(texts.count)"
            )
        }
        var f = CronFields()
        f.seconds = try plain(texts[0], second)
        f.minutes = try plain(texts[1], minute)
        f.hours = try plain(texts[2], hour)
        f.months = try plain(texts[4], month)
        try parseDayOfMonth(texts[3], into: &f)
        try parseDayOfWeek(texts[5], into: &f)
        f.daysMustMatchBoth = texts[3].hasPrefix("*") || texts[3] == "?" || texts[5].hasPrefix("*") || texts[5] == "?"
        if f.daysMustMatchBoth && !f.lastDayOfMonth && !f.lastWeekdayOfMonth, let first = firstDay(f) {
            let longest = f.months.members.map { CivilCalendar.daysInMonth(year: 2000, month: $0) }.max() ?? 31
            if first > longest {
                let names = f.months.members.map { Describer.monthNames[$0 - 1] }
                throw ScheduleError(
                    field: "day-of-month",
                    "day \(first) never occurs in \(Describer.list(names, conjunction: "or"))")
            }
        }
        return f
    }

    private static func firstDay(_ f: CronFields) -> Int? {
        let a = f.daysOfMonth.first(atOrAfter: 1)
        let b = f.nearestWeekdays.first(atOrAfter: 1)
        switch (a, b) {
        case let (x?, y?): return min(x, y)
        case let (x?, nil): return x
        case let (nil, y?): return y
        default: return nil
        }
    }

    /// A field with no special forms: seconds, minutes, hours, months.
    static func plain(_ text: String, _ spec: Spec) throws(ScheduleError) -> FieldSet {
        var set = FieldSet()
        for term in try terms(text, spec) {
            for v in try values(term, spec) { set.insert(v) }
        }
        return set
    }

    private static func terms(_ text: String, _ spec: Spec) throws(ScheduleError) -> [String] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        if parts.contains(where: \.isEmpty) {
            throw ScheduleError(field: spec.name, "\"\(text)\" has an empty list item")
        }
        return parts
    }

    private static func parseDayOfMonth(_ text: String, into f: inout CronFields) throws(ScheduleError) {
        let spec = dayOfMonth
        if text == "?" {
            f.daysOfMonth = FieldSet(spec.range)
            return
        }
        for term in try terms(text, spec) {
            let upper = term.uppercased()
            if upper == "L" {
                f.lastDayOfMonth = true
            } else if upper == "LW" {
                f.lastWeekdayOfMonth = true
            } else if upper.hasSuffix("W") {
                let n = try number(String(upper.dropLast()), spec, context: term)
                f.nearestWeekdays.insert(n)
            } else {
                for v in try values(term, spec) { f.daysOfMonth.insert(v) }
            }
        }
    }

    private static func parseDayOfWeek(_ text: String, into f: inout CronFields) throws(ScheduleError) {
        let spec = dayOfWeek
        if text == "?" {
            f.daysOfWeek = FieldSet(0...6)
            return
        }
        for term in try terms(text, spec) {
            let upper = term.uppercased()
            if let hash = upper.firstIndex(of: "#") {
                let day = try value(String(upper[..<hash]), spec) % 7
                let nthText = String(upper[upper.index(after: hash)...])
                guard let nth = Int(nthText), nthText.allSatisfy(\.isASCIIDigit), (1...5).contains(nth) else {
                    throw ScheduleError(field: spec.name, "\"\(term)\": the number after # must be 1-5")
                }
                f.nthWeekdays.insert(day * 5 + nth - 1)
            } else if upper.count > 1 && upper.hasSuffix("L") && !upper.contains("-") && !upper.contains("/") {
                let day = try value(String(upper.dropLast()), spec) % 7
                f.lastWeekdaysInMonth.insert(day)
            } else if upper == "L" {
                throw ScheduleError(field: spec.name, "L needs a weekday before it, e.g. 5L or FRIL (last Friday)")
            } else {
                for v in try values(term, spec) { f.daysOfWeek.insert(v % 7) }
            }
        }
    }

    /// The values of one list item: `*`, `n`, `a-b`, each optionally followed by `/step`.
    static func values(_ term: String, _ spec: Spec) throws(ScheduleError) -> [Int] {
        var base = Substring(term)
        var step = 1
        if let slash = term.firstIndex(of: "/") {
            base = term[..<slash]
            let stepText = String(term[term.index(after: slash)...])
            guard !stepText.isEmpty, stepText.allSatisfy(\.isASCIIDigit), let s = Int(stepText) else {
                throw ScheduleError(field: spec.name, "\"\(term)\": the step after / must be a whole number")
            }
            guard s >= 1 else { throw ScheduleError(field: spec.name, "\"\(term)\": step 0 must be at least 1") }
            step = s
        }
        let low: Int
        let high: Int
        if base == "*" {
            low = spec.range.lowerBound
            high = spec.range.upperBound
        } else if let dash = base.firstIndex(of: "-"), dash != base.startIndex {
            low = try value(String(base[..<dash]), spec)
            high = try value(String(base[base.index(after: dash)...]), spec)
            guard low <= high else {
                throw ScheduleError(
                    field: spec.name,
                    "range \(base) goes backwards; write it as two ranges, e.g. \(base.split(separator: "-")[0])-\(spec.range.upperBound),\(spec.range.lowerBound)-\(base.split(separator: "-")[1])"
                )
            }
        } else {
            low = try value(String(base), spec)
            high = step > 1 ? spec.range.upperBound : low
        }
        return Array(stride(from: low, through: high, by: step))
    }

    /// One number or name, checked against the field's range.
    static func value(_ text: String, _ spec: Spec) throws(ScheduleError) -> Int {
        if !spec.names.isEmpty, let first = text.first, first.isLetter {
            let lower = text.lowercased()
            if let i = spec.names.firstIndex(where: { $0 == lower || (lower.count == 3 && $0.hasPrefix(lower)) }) {
                return i + spec.firstNameValue
            }
            let examples = spec.names.prefix(2).map { String($0.prefix(3)).uppercased() }
            throw ScheduleError(
                field: spec.name,
                "\"\(text)\" is not a \(spec.name == "month" ? "month" : "weekday") name (use \(examples.joined(separator: ", ")), … or full names)"
            )
        }
        return try number(text, spec, context: text)
    }

    static func number(_ text: String, _ spec: Spec, context: String) throws(ScheduleError) -> Int {
        guard !text.isEmpty, text.allSatisfy(\.isASCIIDigit), let v = Int(text) else {
            throw ScheduleError(
                field: spec.name,
                "\"\(context)\" is not a number\(spec.names.isEmpty ? "" : " or name") (allowed: \(spec.range.lowerBound)-\(spec.range.upperBound))"
            )
        }
        guard spec.range.contains(v) else {
            throw ScheduleError(field: spec.name, "\(v) is out of range \(spec.range.lowerBound)-\(spec.range.upperBound)")
        }
        return v
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
