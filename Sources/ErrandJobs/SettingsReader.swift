import ErrandCore
import Foundation

/// Reads one `settings.job` value at a time into a typed value, collecting a problem instead of throwing.
///
/// The rules for loose input live here once: numbers and booleans may be written as strings (`"60"`, `"true"`),
/// enum words are matched without regard to case or `_`/`-`, and every message names what was found and what
/// would be accepted.
struct SettingsReader {
    var problems: [SettingsProblem] = []

    mutating func fail(_ field: String, _ message: String, severity: SettingsProblem.Severity = .error) {
        problems.append(SettingsProblem(field: field, message, severity: severity))
    }

    mutating func bool(_ field: String, _ value: JSONValue) -> Bool? {
        switch value {
        case .bool(let b): return b
        case .number(let n) where n == 0 || n == 1: return n == 1
        case .string(let s):
            switch s.trimmingCharacters(in: .whitespaces).lowercased() {
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off": return false
            default: break
            }
        default: break
        }
        fail(field, "\(value.shown) is not a boolean; use true or false")
        return nil
    }

    mutating func integer(_ field: String, _ value: JSONValue, range: ClosedRange<Int>) -> Int? {
        var number: Double?
        switch value {
        case .number(let n): number = n
        case .string(let s): number = Double(s.trimmingCharacters(in: .whitespaces))
        default: break
        }
        guard let number, number.isFinite, number.rounded() == number else {
            fail(field, "\(value.shown) is not a whole number; use a number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        guard number >= Double(range.lowerBound), number <= Double(range.upperBound) else {
            fail(field, "\(value.shown) is out of range; use a number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return Int(number)
    }

    /// A duration in seconds or with units; `allowZero` lets 0 mean "off".
    mutating func duration(_ field: String, _ value: JSONValue, allowZero: Bool) -> Duration? {
        var parsed: Duration?
        switch value {
        case .number(let n) where n.isFinite: parsed = .milliseconds(Int64((n * 1000).rounded()))
        case .string(let s): parsed = DurationText.parse(s)
        default: break
        }
        let allowed = allowZero ? "0 or more" : "more than 0"
        guard let parsed else {
            fail(field, "\(value.shown) is not a duration; use seconds (60) or units (\"90s\", \"5m\", \"1h30m\", \"2d\")")
            return nil
        }
        guard parsed > .zero || (allowZero && parsed == .zero) else {
            fail(field, "\(value.shown) is not allowed; use a duration of \(allowed) seconds")
            return nil
        }
        guard parsed <= .seconds(366 * 86_400) else {
            fail(field, "\(value.shown) is longer than a year; use a shorter duration")
            return nil
        }
        return parsed
    }

    mutating func string(_ field: String, _ value: JSONValue) -> String? {
        if case .string(let s) = value { return s }
        fail(field, "\(value.shown) is not a string")
        return nil
    }

    /// One of an enum's words; case and `_`/`-` do not matter (`on_failure`, `On-Failure`).
    mutating func word<Word: RawRepresentable & CaseIterable>(_ field: String, _ value: JSONValue, as: Word.Type) -> Word?
    where Word.RawValue == String {
        let words = Word.allCases.map(\.rawValue)
        if case .string(let s) = value {
            let key = s.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "_", with: "-")
            if let match = Word.allCases.first(where: { $0.rawValue == key }) { return match }
        }
        fail(field, "\(value.shown) is not one of \(words.joined(separator: ", "))")
        return nil
    }
}
