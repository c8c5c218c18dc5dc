/// What sort of job a definition is, in the product's words (PRODUCT.md, "kind").
///
/// A deployed package is either `triggered` or `continuous` (Kudu's two folders); a triggered package whose
/// settings carry a `schedule` or `recurrence` becomes `scheduled`. `adhoc` is the PowerShell-style run started
/// from the CLI with `errand start`: it has a kind so that every run can say where it came from, but it is never
/// deployed, so it has no package, no `settings.job` and no Kudu type.
public enum JobKind: String, Codable, Sendable, CaseIterable {
    case adhoc
    case triggered
    case continuous
    case scheduled

    /// The kind of a deployed package, given how it was deployed and its settings: a triggered job with a
    /// schedule or recurrence is `scheduled`. A continuous job keeps its kind even with a schedule; the settings
    /// check reports that schedule as an error (`JobSettings.problems(for:)`).
    public static func deployed(continuous: Bool, settings: JobSettings) -> JobKind {
        if continuous { return .continuous }
        return settings.schedule == nil ? .triggered : .scheduled
    }

    /// Whether a package can be deployed with this kind (everything but `adhoc`).
    public var isDeployable: Bool { self != .adhoc }

    /// Kudu's `type` (folder and API name): scheduled jobs are triggered jobs with a schedule, as in Kudu.
    /// `nil` for `adhoc`, which Kudu has no word for.
    public var kuduType: String? {
        switch self {
        case .adhoc: nil
        case .triggered, .scheduled: "triggered"
        case .continuous: "continuous"
        }
    }

    /// The value of `ERRAND_JOB_KIND` and of the API's `kind` field.
    public var name: String { rawValue }
}
