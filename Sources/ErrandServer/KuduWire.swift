import ErrandCore
import Foundation

/// Kudu's words and formats (kudu.md §4.1, §5), kept pure so they are tested without a daemon.
enum Kudu {
    /// Kudu's two job folders; scheduled jobs are triggered jobs with a schedule, as in Kudu.
    enum JobType: String, Sendable, CaseIterable {
        case triggered
        case continuous

        /// The Kudu type of an Errand job kind (`JobView.kind`); nil for kinds Kudu has no word for.
        init?(kind: String) {
            switch kind {
            case "triggered", "scheduled": self = .triggered
            case "continuous": self = .continuous
            default: return nil
            }
        }
    }

    /// A run's state as Kudu's `TriggeredJobStatus` names it. Queued runs are `Initializing` (Kudu's
    /// state before the process starts); a run being stopped is still `Running` until it has stopped.
    static func status(of state: RunState) -> String {
        switch state {
        case .notStarted: "Initializing"
        case .running, .stopping, .blocked, .disconnected: "Running"
        case .completed: "Success"
        case .failed: "Failed"
        case .stopped: "Stopped"
        case .pendingRestart: "PendingRestart"
        case .inactiveInstance: "InactiveInstance"
        }
    }

    /// Kudu's trigger string: `External - <User-Agent>` for runs started over HTTP, `Schedule - <expr>` for
    /// schedule ticks. Errand records them as `api <User-Agent>` and `schedule <expr>`; other triggers
    /// (retries, manual) keep Errand's words after a capitalised kind.
    static func trigger(kind: TriggerKind, detail: String?) -> String {
        func rest(after prefix: String) -> String {
            guard let detail else { return "" }
            return detail.hasPrefix(prefix) ? String(detail.dropFirst(prefix.count)) : detail
        }
        switch kind {
        case .api: return "External - " + rest(after: "api ")
        case .schedule: return "Schedule - " + rest(after: "schedule ")
        case .manual, .retry, .restart:
            let word = kind.rawValue.prefix(1).uppercased() + kind.rawValue.dropFirst()
            return detail.map { "\(word) - \($0)" } ?? word
        }
    }

    /// A .NET `DateTime` as Newtonsoft writes it: `2016-05-19T21:49:38.193Z`, fraction without trailing
    /// zeros (millisecond precision, Errand's), and `0001-01-01T00:00:00` (`default(DateTime)`) for nil:
    /// Kudu's `end_time` of a run that has not ended.
    static func dateTime(_ date: Date?) -> String {
        guard let date else { return "0001-01-01T00:00:00" }
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (seconds, fraction) = milliseconds.floorDivided(by: 1000)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents(
            [.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        var text =
            pad(parts.year ?? 1, 4) + "-" + pad(parts.month ?? 1, 2) + "-" + pad(parts.day ?? 1, 2) + "T" + pad(parts.hour ?? 0, 2)
            + ":" + pad(parts.minute ?? 0, 2) + ":" + pad(parts.second ?? 0, 2)
        if fraction > 0 {
            var digits = pad(Int(fraction), 3)
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text + "Z"
    }

    /// A .NET `TimeSpan.ToString()` ("c" format): `[-][d.]hh:mm:ss[.fffffff]`, e.g. `00:00:59.8060000`.
    /// Kudu sends run durations this way.
    static func timeSpan(seconds: Double) -> String {
        let ticks = Int64((seconds * 10_000_000).rounded())
        let magnitude = ticks.magnitude
        let (totalSeconds, fraction) = magnitude.quotientAndRemainder(dividingBy: 10_000_000)
        let days = totalSeconds / 86_400
        let hours = totalSeconds / 3_600 % 24
        let minutes = totalSeconds / 60 % 60
        var text = ticks < 0 ? "-" : ""
        if days > 0 { text += "\(days)." }
        text += pad(Int(hours), 2) + ":" + pad(Int(minutes), 2) + ":" + pad(Int(totalSeconds % 60), 2)
        if fraction > 0 { text += "." + pad(Int(fraction), 7) }
        return text
    }

    /// Kudu's run `duration`: end (or now, while it runs) minus start; nil without a start.
    static func duration(start: Date?, end: Date?, now: Date) -> String? {
        guard let start else { return nil }
        let milliseconds = ((end ?? now).timeIntervalSince(start) * 1000).rounded()
        return timeSpan(seconds: milliseconds / 1000)
    }

    /// A strong ETag of a response body (FNV-1a, 64 bits): equal bodies, equal tags, so a client's
    /// `If-None-Match` gets a 304 while nothing changed. A running run's duration changes the body, as
    /// it changes Kudu's tag.
    static func etag(of bytes: some Sequence<UInt8>) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return "\"" + String(hash, radix: 16) + "\""
    }

    /// Whether an `If-None-Match` header names `etag` (a list of tags, weak ones included, or `*`).
    static func matches(ifNoneMatch header: String?, etag: String) -> Bool {
        guard let header else { return false }
        for part in header.split(separator: ",") {
            var tag = part.trimmingCharacters(in: .whitespaces)
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            if tag == etag { return true }
        }
        return false
    }

    /// One query parameter decoded the way ASP.NET decodes Kudu's (`+` is a space, then percent
    /// escapes), so `curl -G --data-urlencode 'arguments=a b'` (which sends `a+b`) means `a b`.
    static func queryValue(_ name: String, in query: String?) -> String? {
        guard let query else { return nil }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]).replacingOccurrences(of: "+", with: " ")
            guard (key.removingPercentEncoding ?? key) == name else { continue }
            let raw = parts.count > 1 ? String(parts[1]).replacingOccurrences(of: "+", with: " ") : ""
            return raw.removingPercentEncoding ?? raw
        }
        return nil
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

extension Int64 {
    /// Quotient rounded down and a non-negative remainder (times before 1970 stay correct).
    fileprivate func floorDivided(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let remainder = self % divisor
        return remainder < 0 ? (self / divisor - 1, remainder + divisor) : (self / divisor, remainder)
    }
}

/// A run as Kudu's `TriggeredJobRun` (kudu.md §4.1). Field names are Kudu's contract.
struct KuduRun: Encodable, Sendable, Equatable {
    var id: String
    var name: String
    var status: String
    var startTime: String
    var endTime: String
    var duration: String?
    var outputURL: String
    var errorURL: String?
    var url: String
    var jobName: String
    var trigger: String

    /// `base` is the scheme and authority the client used (`http://host:7420`). The start time is when the
    /// process started, or when the run was created while it waits (Kudu records its start at once).
    init(_ run: Run, job: String, base: String, now: Date) {
        id = String(run.id)
        name = id
        status = Kudu.status(of: run.state)
        let start = run.startedAt ?? run.createdAt
        startTime = Kudu.dateTime(start)
        endTime = Kudu.dateTime(run.endedAt)
        duration = Kudu.duration(start: start, end: run.endedAt, now: now)
        outputURL = "\(base)/api/v1/runs/\(run.id)/log"
        errorURL = nil
        url = "\(base)/api/triggeredwebjobs/\(job)/history/\(run.id)"
        jobName = job
        trigger = Kudu.trigger(kind: run.trigger, detail: run.triggerDetail)
    }

    enum CodingKeys: String, CodingKey {
        case id, name, status
        case startTime = "start_time"
        case endTime = "end_time"
        case duration
        case outputURL = "output_url"
        case errorURL = "error_url"
        case url
        case jobName = "job_name"
        case trigger
    }

    /// Nulls are written, as Newtonsoft does: clients read `error_url: null`, not a missing key.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(status, forKey: .status)
        try container.encode(startTime, forKey: .startTime)
        try container.encode(endTime, forKey: .endTime)
        try container.encode(duration, forKey: .duration)
        try container.encode(outputURL, forKey: .outputURL)
        try container.encode(errorURL, forKey: .errorURL)
        try container.encode(url, forKey: .url)
        try container.encode(jobName, forKey: .jobName)
        try container.encode(trigger, forKey: .trigger)
    }
}

/// A job as Kudu's `TriggeredJob` or `ContinuousJob` (kudu.md §4.1).
struct KuduJob: Encodable, Sendable {
    var name: String
    var runCommand: String
    var url: String
    var extraInfoURL: String
    var type: Kudu.JobType
    var error: String?
    var usingSDK = false
    var settings: [String: JSONValue]
    // Triggered jobs.
    var latestRun: KuduRun?
    var historyURL: String?
    var schedulerLogsURL: String?
    // Continuous jobs.
    var status: String?
    var detailedStatus: String?
    var logURL: String?

    /// `instance` names this daemon in `detailed_status` (Kudu lists one line per instance).
    init(_ view: JobView, type: Kudu.JobType, base: String, instance: String, now: Date) {
        name = view.name
        runCommand = Self.script(of: view.command, under: view.packageRoot)
        url = "\(base)/api/\(type.rawValue)webjobs/\(view.name)"
        extraInfoURL = "\(base)/api/v1/jobs/\(view.name)"
        self.type = type
        let errors = view.problems.filter { $0.severity == .error }
        error = errors.isEmpty ? nil : errors.map(\.description).joined(separator: "; ")
        settings = view.settings
        switch type {
        case .triggered:
            latestRun = view.latestRun.map { KuduRun($0, job: view.name, base: base, now: now) }
            historyURL = url + "/history"
        case .continuous:
            status = view.status
            detailedStatus = "\(instance) - \(view.status)\r\n"
            logURL = view.latestRun.map { "\(base)/api/v1/runs/\($0.id)/log" }
        }
    }

    /// Kudu's `run_command`: the script, relative to the job folder as uploaded (the entry point's last word, under
    /// the folders a zip wrapped it in: `myjob/run.sh`, as Kudu, which runs the job from inside them too).
    static func script(of command: [String], under packageRoot: String? = nil) -> String {
        guard let last = command.last else { return "" }
        let script = last.hasPrefix("./") ? String(last.dropFirst(2)) : last
        guard let packageRoot, !packageRoot.isEmpty else { return script }
        return packageRoot + "/" + script
    }

    enum CodingKeys: String, CodingKey {
        case name
        case runCommand = "run_command"
        case url
        case extraInfoURL = "extra_info_url"
        case type, error
        case usingSDK = "using_sdk"
        case settings
        case latestRun = "latest_run"
        case historyURL = "history_url"
        case schedulerLogsURL = "scheduler_logs_url"
        case status
        case detailedStatus = "detailed_status"
        case logURL = "log_url"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(runCommand, forKey: .runCommand)
        try container.encode(url, forKey: .url)
        try container.encode(extraInfoURL, forKey: .extraInfoURL)
        try container.encode(type.rawValue, forKey: .type)
        try container.encode(error, forKey: .error)
        try container.encode(usingSDK, forKey: .usingSDK)
        try container.encode(settings, forKey: .settings)
        switch type {
        case .triggered:
            try container.encode(latestRun, forKey: .latestRun)
            try container.encode(historyURL, forKey: .historyURL)
            try container.encode(schedulerLogsURL, forKey: .schedulerLogsURL)
        case .continuous:
            try container.encode(status, forKey: .status)
            try container.encode(detailedStatus, forKey: .detailedStatus)
            try container.encode(logURL, forKey: .logURL)
        }
    }
}

/// `GET …/history`: Kudu's `TriggeredJobHistory`.
struct KuduHistory: Encodable, Sendable {
    var runs: [KuduRun]
}

/// `GET /api/triggeredwebjobsswagger`: Kudu's Swagger 2.0 document ("WebJobs as microservice") with one
/// `POST /api/triggeredjobs/{name}/run` per triggered job, so API tools can call them. `host` and `schemes`
/// are the daemon's as the client reached it, where Kudu writes `placeHolder` and `https`.
struct KuduSwagger: Encodable, Sendable {
    struct Info: Encodable, Sendable {
        var version = "v1"
        var title = "WebJobs"
    }

    struct Parameter: Encodable, Sendable {
        var name = "arguments"
        var `in` = "query"
        var description = "Web Job Arguments"
        var required = false
        var type = "string"
    }

    struct Description: Encodable, Sendable {
        var description = "Success"
    }

    struct Operation: Encodable, Sendable {
        var deprecated = false
        var operationId: String
        var consumes: [String] = []
        var produces: [String] = []
        var responses = ["200": Description(), "default": Description()]
        var parameters = [Parameter()]
    }

    struct PathItem: Encodable, Sendable {
        var post: Operation
    }

    var swagger = "2.0"
    var info = Info()
    var host: String
    var schemes: [String]
    var paths: [String: PathItem]

    init(jobs: [String], scheme: String, host: String) {
        self.host = host
        schemes = [scheme]
        paths = Dictionary(uniqueKeysWithValues: jobs.map { ("/api/triggeredjobs/\($0)/run", PathItem(post: Operation(operationId: $0))) })
    }
}
