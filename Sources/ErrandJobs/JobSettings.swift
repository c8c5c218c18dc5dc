import ErrandCore
import ErrandSchedule
import Foundation

/// A job's `settings.job`, read and checked: Kudu's four keys plus Errand's.
///
/// Every field holds a usable value: a key that was missing or wrong keeps its default, and what was wrong is in
/// `problems` (never silently ignored, unlike Kudu, which drops `"60"` or `"true"` written as strings). `raw` is
/// the file as written, unknown keys included, so the API can return it unchanged. Parsing is pure; see
/// `JobSettings(parsing:)` and docs/jobs.md for every key.
public struct JobSettings: Sendable, Hashable {
    /// Cron (`schedule`) or recurrence object (`recurrence`); makes a triggered job `scheduled`.
    public var schedule: JobSchedule?
    /// `time_zone`: the IANA zone the schedule is read in; `nil` means the daemon's zone.
    public var timeZone: TimeZone?
    /// `is_singleton`: a continuous job runs on one instance of a cluster instead of every one.
    public var isSingleton: Bool = false
    /// `stopping_wait_time`: grace between the shutdown signal and SIGKILL; `nil` means the kind's default
    /// (`stoppingWaitTime(for:)`).
    public var stoppingWaitTimeSetting: Duration?
    /// `is_in_place`: run from the package folder instead of a fresh copy; `nil` means Kudu's default
    /// (`isInPlace(entryPoint:)`).
    public var isInPlaceSetting: Bool?
    /// `overlap`: what a trigger does while a run is going.
    public var overlap: OverlapPolicy = .skip
    /// `missed`: what happens to ticks missed while the daemon was down.
    public var missed: MissedPolicy = .once
    /// `timeout`: a run still going after this is stopped and recorded `Failed`; `nil` means no limit.
    public var timeout: Duration?
    /// `idle_timeout`: a run silent (no output) for this long is stopped and recorded `Failed`; `nil` means off.
    public var idleTimeout: Duration?
    /// `retries`: how a failed run is tried again.
    public var retries: RetryPolicy = .none
    /// `restart`: when a continuous job is started again after its process exits.
    public var restart: RestartPolicy = .always
    /// `history_size`: how many runs of this job are kept, with their output.
    public var historySize: Int = JobSettings.defaultHistorySize
    /// `env`: variables added to every run's environment.
    public var environment: [String: String] = [:]
    /// `entry_point`: the file to run, relative to the package root; `nil` means detection.
    public var entryPoint: String?
    /// `run_as`: the system user the job's runs are launched as; `nil` means the daemon's `--run-as` (or its
    /// own user). The daemon must allow the user (`--allow-run-as`): checked at deploy, not here.
    public var runAs: String?
    /// `kill_mode`: whether processes a run leaves behind are stopped with it (systemd's `KillMode=`).
    public var killMode: KillMode = .controlGroup

    /// Everything wrong, in key order; empty for a clean file.
    public var problems: [SettingsProblem] = []
    /// The file as written (an empty object when there was no file).
    public var raw: [String: JSONValue] = [:]

    /// Runs kept per job when `history_size` is not given: 30, as the source document says.
    public static let defaultHistorySize = 30
    /// The largest `history_size` accepted, so a typo cannot keep a job's output forever.
    public static let maxHistorySize = 10_000

    /// Settings of a job without `settings.job`: every default.
    public init() {}

    /// The errors among `problems` (values that could not be used).
    public var errors: [SettingsProblem] { problems.filter { $0.severity == .error } }

    /// The grace period before SIGKILL: the setting, else Kudu's defaults (5 s continuous, 30 s otherwise).
    public func stoppingWaitTime(for kind: JobKind) -> Duration {
        if let stoppingWaitTimeSetting { return stoppingWaitTimeSetting }
        return kind == .continuous ? .seconds(5) : .seconds(30)
    }

    /// Whether runs use the package folder itself: the setting, else Kudu's default (in place for Node
    /// entry points, a fresh copy for everything else).
    public func isInPlace(entryPoint: EntryPoint?) -> Bool {
        if let isInPlaceSetting { return isInPlaceSetting }
        return entryPoint?.script.lowercased().hasSuffix(".js") ?? false
    }
}
