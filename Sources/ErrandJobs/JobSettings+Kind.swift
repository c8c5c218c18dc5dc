import ErrandCore

/// Checks that only make sense once the job's kind is known.
extension JobSettings {
    /// `problems`, plus the settings that do not apply to `kind`: a schedule on a continuous job is an error
    /// (it would never fire); other keys that `kind` ignores are warnings, so nothing written is silently dropped.
    public func problems(for kind: JobKind) -> [SettingsProblem] {
        var result = problems
        func has(_ key: String) -> Bool { raw[key].map { $0 != .null } ?? false }
        func warn(_ key: String, _ message: String) {
            if has(key) { result.append(SettingsProblem(field: key, message, severity: .warning)) }
        }
        switch kind {
        case .continuous:
            for key in ["schedule", "recurrence"] where has(key) {
                result.append(
                    SettingsProblem(
                        field: key, "a continuous job runs all the time; deploy the job as triggered to run it on a schedule"))
            }
            warn("retries", "applies to triggered and scheduled jobs; a continuous job uses \"restart\"")
            warn("overlap", "applies to triggered and scheduled jobs; a continuous job has one process per instance")
            warn("missed", "applies to scheduled jobs only")
            warn("time_zone", "applies to scheduled jobs only")
        case .triggered, .adhoc:
            warn("restart", "applies to continuous jobs only; use \"retries\" for a triggered job")
            warn("is_singleton", "a triggered run always runs on one instance; this applies to continuous jobs")
            warn("missed", "applies to scheduled jobs only; add a \"schedule\"")
            warn("time_zone", "applies to scheduled jobs only; add a \"schedule\"")
        case .scheduled:
            warn("restart", "applies to continuous jobs only; use \"retries\" for a scheduled job")
            warn("is_singleton", "a scheduled run always runs on one instance; this applies to continuous jobs")
        }
        return result
    }
}
