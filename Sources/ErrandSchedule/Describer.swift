/// Small English helpers shared by the cron and recurrence descriptions.
enum Describer {
    static let weekdayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]

    /// "a", "a and b", "a, b and c".
    static func list(_ items: [String], conjunction: String = "and") -> String {
        switch items.count {
        case 0: return ""
        case 1: return items[0]
        default: return items.dropLast().joined(separator: ", ") + " \(conjunction) " + items[items.count - 1]
        }
    }

    static func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    static func time(_ h: Int, _ m: Int, _ s: Int? = nil) -> String {
        s.map { "\(two(h)):\(two(m)):\(two($0))" } ?? "\(two(h)):\(two(m))"
    }

    /// 1 → "first", -1 → "last", -2 → "second-to-last".
    static func ordinal(_ n: Int) -> String {
        let words = ["first", "second", "third", "fourth", "fifth"]
        if n == -1 { return "last" }
        if n < -1 { return (n >= -5 ? words[-n - 1] : "\(-n)th") + "-to-last" }
        return n <= 5 ? words[n - 1] : "\(n)th"
    }

    /// 1 → "1st", 22 → "22nd".
    static func ordinalNumber(_ n: Int) -> String {
        let suffix: String
        switch (n % 10, n % 100) {
        case (_, 11...13): suffix = "th"
        case (1, _): suffix = "st"
        case (2, _): suffix = "nd"
        case (3, _): suffix = "rd"
        default: suffix = "th"
        }
        return "\(n)\(suffix)"
    }

    /// Sorted values as runs: [1,2,3,5] → ["1 through 3", "5"] using `name` for each value.
    static func runs(_ values: [Int], minRun: Int = 3, name: (Int) -> String) -> [String] {
        var out: [String] = []
        var i = 0
        while i < values.count {
            var j = i
            while j + 1 < values.count && values[j + 1] == values[j] + 1 { j += 1 }
            if j - i + 1 >= minRun {
                out.append("\(name(values[i])) through \(name(values[j]))")
            } else {
                for k in i...j { out.append(name(values[k])) }
            }
            i = j + 1
        }
        return out
    }

    /// If `values` is every `step`-th value of `range` starting at its lower bound, the step.
    static func uniformStep(_ values: [Int], in range: ClosedRange<Int>) -> Int? {
        guard values.count >= 2, values[0] == range.lowerBound else { return nil }
        let step = values[1] - values[0]
        guard step > 1 else { return nil }
        let expected = Array(stride(from: range.lowerBound, through: range.upperBound, by: step))
        return expected == values ? step : nil
    }
}
