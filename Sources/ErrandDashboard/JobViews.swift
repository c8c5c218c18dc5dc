import ErrandCore
import Foundation

/// The colour family of a job's status badge.
enum JobStatusStyle {
    /// A run is going (not the steady run of a continuous job), or a continuous job is between states.
    static func isChanging(_ job: JobView) -> Bool {
        job.kind == "continuous" ? ["Starting", "Stopping", "PendingRestart"].contains(job.status) : !job.activeRuns.isEmpty
    }

    /// The status as shown: a scheduled job whose schedule is stopped reads `Paused`, not `Idle`.
    static func text(_ job: JobView) -> String {
        job.kind == "scheduled" && !job.enabled && job.status == "Idle" ? "Paused" : job.status
    }

    static func of(_ status: String) -> String {
        switch status {
        case "Running", "Stopping": "live"
        case "Starting", "PendingRestart": "wait"
        case "Idle": "idle"
        default: "muted"
        }
    }
}

/// One row of the Jobs table.
struct JobRow: Sendable {
    var name: String
    var href: String
    var kind: String
    var status: String
    var statusClass: String
    var schedule: String?
    var next: String?
    var nextTitle: String?
    var lastState: String?
    var lastClass: String?
    var lastWhen: String?
    var lastTitle: String?
    var lastHref: String?
    var spark: String
    var problems: Bool
    /// Something about this row is about to change (see ``JobsPage/refresh``).
    var changing: Bool

    init(_ job: JobView, history: [Run], now: Date) {
        name = job.name
        href = "/jobs/\(PathText.escape(job.name))"
        kind = job.kind
        status = JobStatusStyle.text(job)
        statusClass = JobStatusStyle.of(status)
        schedule = job.scheduleDescription
        if job.enabled, let next = job.nextRuns.first ?? job.nextAttemptAt {
            self.next = TimeText.relative(next, now: now)
            nextTitle = TimeText.clock(next) + " UTC"
        }
        if let last = job.latestRun ?? history.last {
            lastState = last.state.rawValue
            lastClass = StateStyle.of(last.state)
            let when = last.endedAt ?? last.startedAt ?? last.createdAt
            lastWhen = TimeText.relative(when, now: now)
            lastTitle = TimeText.clock(when) + " UTC"
            lastHref = "/runs/\(last.id)"
        }
        spark = Charts.sparkline(history.map { ChartRun($0, now: now) })
        problems = !job.problems.isEmpty
        changing = JobStatusStyle.isChanging(job)
    }
}

/// The Jobs page.
struct JobsPage: Sendable {
    var chrome: Chrome
    var rows: [JobRow]
    var empty: Bool
    var summary: String
    /// The table refreshes itself while a run of a triggered or scheduled job is going, or a
    /// continuous job is changing state (a continuous job that just runs does not count).
    var refresh: Bool
}

/// A row of a job's history table.
struct HistoryRow: Sendable {
    var id: Int64
    var href: String
    var state: String
    var stateClass: String
    var trigger: String
    var started: String
    var duration: String
    var exit: String

    init(_ run: Run, now: Date) {
        id = run.id
        href = "/runs/\(run.id)"
        state = run.state.rawValue
        stateClass = StateStyle.of(run.state)
        trigger = TriggerText.of(run)
        started = TimeText.clock(run.startedAt ?? run.createdAt)
        duration = run.startedAt.map { TimeText.duration((run.endedAt ?? now).timeIntervalSince($0)) } ?? "–"
        if let code = run.exitCode {
            exit = String(code)
        } else if let signal = run.signal {
            exit = SignalName.of(signal)
        } else {
            exit = "–"
        }
    }
}

/// The Job page: settings and problems, schedule, actions, history chart and table.
struct JobPage: Sendable {
    struct Setting: Sendable {
        var key: String
        var value: String
    }

    struct Problem: Sendable {
        var field: String?
        var message: String
        var severity: String
    }

    var chrome: Chrome
    var name: String
    var path: String
    var kind: String
    var status: String
    var statusClass: String
    /// The Deploy page prefilled to replace this job.
    var redeployHref: String
    var command: String
    var schedule: String?
    var scheduleText: String?
    var timeZone: String?
    var nextRuns: [String]
    var nextAttempt: String?
    var restarts: Int
    var settings: [Setting]
    var noSettings: Bool
    var problems: [Problem]
    var canTrigger: Bool
    var canStart: Bool
    var canStop: Bool
    var isScheduled: Bool
    var paused: Bool
    /// Start/stop read "Resume schedule"/"Pause schedule" for a scheduled job.
    var startLabel: String
    var stopLabel: String
    var history: [HistoryRow]
    var chart: String
    /// The same chart drawn for a phone's width (CSS shows one of the two).
    var chartNarrow: String
    var noHistory: Bool
    var historyNote: String
    /// The state and history refresh themselves while a run is going (see ``JobStatusStyle/isChanging(_:)``).
    var refresh: Bool
    var digest: String
    var updated: String

    init(chrome: Chrome, job: JobView, history: [Run], nextRuns: [String], now: Date) {
        self.chrome = chrome
        name = job.name
        path = "/jobs/\(PathText.escape(job.name))"
        kind = job.kind
        status = JobStatusStyle.text(job)
        statusClass = JobStatusStyle.of(status)
        var query = URLComponents()
        query.queryItems = [URLQueryItem(name: "name", value: job.name), URLQueryItem(name: "kind", value: job.kind)]
        if let schedule = job.schedule { query.queryItems?.append(URLQueryItem(name: "schedule", value: schedule)) }
        redeployHref = "/deploy?" + (query.percentEncodedQuery ?? "")
        command = ShellWords.display(job.command)
        schedule = job.scheduleDescription
        scheduleText = job.schedule
        timeZone = job.timeZone
        self.nextRuns = nextRuns
        nextAttempt = job.nextAttemptAt.map { TimeText.clock($0) + " UTC (" + TimeText.relative($0, now: now) + ")" }
        restarts = job.restarts
        settings = job.settings.keys.sorted().map { Setting(key: $0, value: Self.text(job.settings[$0]!)) }
        noSettings = settings.isEmpty
        problems = job.problems.map { Problem(field: $0.field, message: $0.message, severity: $0.severity.rawValue) }
        canTrigger = job.kind != "continuous"
        let switchable = job.kind == "continuous" || job.kind == "scheduled"
        canStart = switchable && !job.enabled
        canStop = switchable && job.enabled
        isScheduled = job.kind == "scheduled"
        paused = isScheduled && !job.enabled
        startLabel = isScheduled ? "Resume schedule" : "Start"
        stopLabel = isScheduled ? "Pause schedule" : "Stop"
        let oldestFirst = Array(history.reversed())
        self.history = history.map { HistoryRow($0, now: now) }
        let points = oldestFirst.map { ChartRun($0, now: now) }
        chart = Charts.durations(points)
        chartNarrow = Charts.durations(points, width: 380, height: 200, cssClass: "chart narrow")
        noHistory = history.isEmpty
        refresh = JobStatusStyle.isChanging(job) || history.contains { !$0.state.isFinished && job.kind != "continuous" }
        historyNote = history.isEmpty ? "" : "The last \(history.count) of at most \(job.historySize) kept runs."
        digest = String(job.packageDigest.prefix(12))
        updated = TimeText.clock(job.updatedAt) + " UTC"
    }

    /// A settings value as JSON text (strings without quotes).
    static func text(_ value: JSONValue) -> String {
        if case .string(let string) = value { return string }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
    }
}

/// Confirmation before a job is deleted (a page, so it works without JavaScript).
struct DeleteJobPage: Sendable {
    var chrome: Chrome
    var name: String
    var path: String
    var active: Bool
}

/// The Deploy page; `name`, `kind` and `cron` come prefilled when replacing a job.
struct DeployPage: Sendable {
    var chrome: Chrome
    var name: String
    var maxBytes: String
    var zone: String
    var triggered: Bool
    var continuous: Bool
    var scheduled: Bool
    var cron: String
    var recurrence: String
    var useRecurrence: Bool

    init(chrome: Chrome, name: String, kind: String?, schedule: String?, maxBytes: Int64, zone: String) {
        self.chrome = chrome
        self.name = name
        self.maxBytes = "\(maxBytes / (1 << 20)) MiB"
        self.zone = zone
        continuous = kind == "continuous"
        scheduled = kind == "scheduled"
        triggered = !continuous && !scheduled
        let schedule = schedule ?? ""
        useRecurrence = schedule.hasPrefix("{")
        cron = useRecurrence ? "" : schedule
        recurrence = useRecurrence ? schedule : ""
    }
}
