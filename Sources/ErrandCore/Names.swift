/// The naming rule shared by runs, jobs, sessions and throttle groups.
public enum Names {
    public static let maxLength = 128

    /// A job name: the rule below, where only digits are allowed (the WebJobs rule is "letters or digits"). Job
    /// commands and routes take job names only, so `2024` never reads as a run id there; run verbs read an argument
    /// made only of digits as a run id (docs/jobs.md, "Names and kinds").
    public static func validateJobName(_ name: String) throws(ErrandError) {
        try validate(name, what: "job name", allowingOnlyDigits: true)
    }

    /// Letters, digits, `_` and `-`, starting with a letter or digit, at most ``maxLength``; not only digits
    /// unless `allowingOnlyDigits` (a run, session or throttle group named `42` would read as a run id).
    public static func validate(_ name: String, what: String, allowingOnlyDigits: Bool = false) throws(ErrandError) {
        let ascii = name.unicodeScalars.allSatisfy { $0.isASCII }
        let chars = Array(name.utf8)
        let valid =
            ascii && !chars.isEmpty && chars.count <= maxLength && isAlphanumeric(chars[0])
            && chars.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
        guard valid else {
            throw .badRequest(
                "invalid \(what) '\(name)': use letters, digits, '_' and '-', starting with a letter or digit, at most \(maxLength) characters"
            )
        }
        if !allowingOnlyDigits, chars.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            throw .badRequest("invalid \(what) '\(name)': a name cannot be only digits (it would read as a run id)")
        }
    }

    private static func isAlphanumeric(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
    }

    /// A system user name as `run_as` and `--run-as` take it (POSIX portable names, as useradd accepts them,
    /// or a numeric uid): nothing a shell or the user database could read as something else.
    public static func isValidUserName(_ name: String) -> Bool {
        let chars = Array(name.utf8)
        guard !chars.isEmpty, chars.count <= 32, chars[0] != UInt8(ascii: "-") else { return false }
        return chars.allSatisfy {
            isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
        }
    }
}
