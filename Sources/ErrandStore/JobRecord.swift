import Foundation

/// A deployed job as the store keeps it. The store does not interpret settings: they are the job's
/// `settings.job` JSON, validated by ErrandJobs before they get here.
public struct JobRecord: Sendable, Equatable {
    /// Unique ignoring case; the job's name (`^[A-Za-z0-9][A-Za-z0-9_-]*$`), spelled as it was first saved.
    public var name: String
    /// `triggered`, `continuous` or `scheduled`.
    public var kind: String
    /// The content digest of the job's package (its folder under `packages/`).
    public var packageDigest: String
    /// The entry point's command (interpreter and script, relative to the package root); a run appends its arguments.
    public var entryPoint: [String]
    /// The `settings.job` JSON text.
    public var settings: String
    /// The folders the package was unwrapped from (`myjob` for a zip holding only `myjob/`), joined with `/`;
    /// empty when there were none. Kudu's `run_command` names the script under them.
    public var packageRoot: String
    /// Whether a continuous job should run (`errand job start|stop`), kept across restarts.
    public var enabled: Bool
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        name: String, kind: String, packageDigest: String, entryPoint: [String] = [], settings: String = "{}",
        enabled: Bool = true, packageRoot: String = "",
        createdAt: Date, updatedAt: Date
    ) {
        self.packageRoot = packageRoot
        self.name = name
        self.kind = kind
        self.packageDigest = packageDigest
        self.entryPoint = entryPoint
        self.settings = settings
        self.enabled = enabled
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
