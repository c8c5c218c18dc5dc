import ErrandCore
import ErrandJobs
import ErrandSchedule
import ErrandStore
import Foundation

/// A job as the store keeps it, with its settings read: everything the job host needs to run it.
struct DeployedJob: Sendable {
    var record: JobRecord
    var settings: JobSettings
    var kind: JobKind

    init(record: JobRecord) {
        self.record = record
        self.settings = JobSettings(parsing: Data(record.settings.utf8))
        self.kind = JobKind(rawValue: record.kind) ?? .triggered
    }

    var name: String { record.name }

    /// The zone the schedule is read in: a recurrence's own `timeZone` (it wins when occurrences are
    /// computed, so the shown zone and times must follow it), else the job's `time_zone`, else the daemon's.
    var timeZone: TimeZone {
        if case .recurrence(let recurrence)? = settings.schedule, let zone = recurrence.timeZone { return zone }
        return settings.timeZone ?? .current
    }

    /// Runs use the package folder itself (Kudu's default for `.js`), else a fresh copy each.
    var isInPlace: Bool {
        settings.isInPlaceSetting ?? (record.entryPoint.last?.lowercased().hasSuffix(".js") ?? false)
    }

    /// The schedule as written: the cron expression, or the recurrence object as JSON text.
    var scheduleText: String? {
        if let cron = settings.raw["schedule"], case .string(let text) = cron { return text }
        if let recurrence = settings.raw["recurrence"] {
            if case .string(let text) = recurrence { return text }
            return String(decoding: recurrence.jsonData, as: UTF8.self)
        }
        return nil
    }
}

/// Where the job host keeps its files and the defaults it applies.
public struct JobHostConfiguration: Sendable {
    /// `packages/`, `staging/` and `active/` (content-addressed package store).
    public var packagesDirectory: URL
    /// `<job>/data` (ERRAND_DATA_PATH), `<job>/work/<copy>` (fresh copies), `<job>/shutdown/<file>`.
    public var jobsDirectory: URL
    public var packageLimits: PackageLimits
    /// Runs kept per job when its settings say nothing (`history_size`).
    public var defaultHistorySize: Int
    /// Output kept per run of a continuous job; older output is deleted as new output comes (log rotation).
    public var continuousOutputBytes: Int64
    /// The environment every job's run starts from (the daemon's own).
    public var baseEnvironment: [String: String]

    public init(
        dataDirectory: URL, packageLimits: PackageLimits = PackageLimits(),
        defaultHistorySize: Int = JobSettings.defaultHistorySize, continuousOutputBytes: Int64 = 64 << 20,
        baseEnvironment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.packagesDirectory = dataDirectory.appendingPathComponent("packages", isDirectory: true)
        self.jobsDirectory = dataDirectory.appendingPathComponent("jobs", isDirectory: true)
        self.packageLimits = packageLimits
        self.defaultHistorySize = defaultHistorySize
        self.continuousOutputBytes = continuousOutputBytes
        self.baseEnvironment = baseEnvironment
    }
}
