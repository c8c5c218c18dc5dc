import Foundation

/// A deployed job as the API, the CLI and the dashboard show it (`GET /api/v1/jobs/{name}`).
public struct JobView: Codable, Sendable, Equatable {
    public var name: String
    /// `triggered`, `continuous` or `scheduled`.
    public var kind: String
    /// Triggered and scheduled jobs: `Idle` or `Running`. Continuous jobs: `Starting`, `Running`,
    /// `PendingRestart` (waiting for the next attempt), `Stopping` or `Stopped`.
    public var status: String
    /// Continuous jobs: whether the job should run (`errand job start|stop`); kept across restarts.
    public var enabled: Bool
    /// The entry point's command; a run appends its arguments.
    public var command: [String]
    /// The cron expression, or the recurrence as JSON text.
    public var schedule: String?
    /// The schedule in words.
    public var scheduleDescription: String?
    /// The zone the schedule is read in.
    public var timeZone: String?
    /// The next instants the schedule fires (scheduled jobs only).
    public var nextRuns: [Date]
    /// Continuous jobs in `PendingRestart`: when the next attempt starts.
    public var nextAttemptAt: Date?
    /// Continuous jobs: restarts since the job last ran healthy for 5 minutes (the backoff's step).
    public var restarts: Int
    /// Runs of this job that are not finished, oldest first.
    public var activeRuns: [Int64]
    public var latestRun: Run?
    /// `settings.job` as stored (unknown keys included).
    public var settings: [String: JSONValue]
    /// The folders the package was unwrapped from (`myjob` for a zip holding only `myjob/`, joined with `/`); nil
    /// when there were none. `command` is relative to the job's folder, which is inside them.
    public var packageRoot: String?
    /// What is wrong with the settings (errors refuse a deploy; warnings are kept and shown).
    public var problems: [SettingsProblem]
    public var historySize: Int
    /// The content digest of the deployed package.
    public var packageDigest: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        name: String, kind: String, status: String, enabled: Bool, command: [String], schedule: String? = nil,
        scheduleDescription: String? = nil, timeZone: String? = nil, nextRuns: [Date] = [], nextAttemptAt: Date? = nil,
        restarts: Int = 0, activeRuns: [Int64] = [], latestRun: Run? = nil, settings: [String: JSONValue] = [:],
        packageRoot: String? = nil, problems: [SettingsProblem] = [], historySize: Int, packageDigest: String, createdAt: Date,
        updatedAt: Date
    ) {
        self.name = name
        self.kind = kind
        self.status = status
        self.enabled = enabled
        self.command = command
        self.schedule = schedule
        self.scheduleDescription = scheduleDescription
        self.timeZone = timeZone
        self.nextRuns = nextRuns
        self.nextAttemptAt = nextAttemptAt
        self.restarts = restarts
        self.activeRuns = activeRuns
        self.latestRun = latestRun
        self.settings = settings
        self.packageRoot = packageRoot
        self.problems = problems
        self.historySize = historySize
        self.packageDigest = packageDigest
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// The body of `POST /api/v1/jobs/{name}/trigger`.
public struct TriggerRequest: Codable, Sendable, Equatable {
    /// Passed to the entry point as separate argv elements (never re-parsed by a shell).
    public var arguments: [String]

    public init(arguments: [String] = []) { self.arguments = arguments }

    /// `{}` is a trigger without arguments: they are optional, in the body as in the CLI.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        arguments = try container.decodeIfPresent([String].self, forKey: .arguments) ?? []
    }
}
