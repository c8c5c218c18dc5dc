import ErrandCore
import ErrandSchedule
import Foundation

/// How `errand job …` shows jobs and runs to people (`--json` prints the API's objects instead).
enum JobText {
    /// `Label:  value` lines for one job. `brief` (after a deploy) leaves out what a new job cannot have yet.
    static func details(_ job: JobView, brief: Bool, now: Date = Date()) -> String {
        var lines: [(String, String)] = []
        lines.append(("Kind", job.kind))
        var status = job.status
        if job.status == "PendingRestart", let next = job.nextAttemptAt {
            status += " (next attempt at \(time(next, fraction: true)), in \(seconds(next.timeIntervalSince(now))))"
        }
        lines.append(("Status", status))
        if job.kind == "continuous" { lines.append(("Restarts", "\(job.restarts) (since it last ran healthy for 5 minutes)")) }
        if !brief && job.kind != "triggered" { lines.append(("Enabled", job.enabled ? "yes" : "no (errand job start \(job.name))")) }
        lines.append(("Command", ShellWords.display(job.command) + " [ARG…]"))
        if let schedule = job.schedule {
            let form = schedule.hasPrefix("{") ? "recurrence" : schedule
            let words = job.scheduleDescription ?? schedule
            lines.append(("Schedule", "\(words) (\(form), time zone \(job.timeZone ?? "of the daemon"))"))
            let zone = job.timeZone.flatMap(TimeZone.init(identifier:)) ?? .current
            for (index, next) in job.nextRuns.enumerated() {
                lines.append((index == 0 ? "Next runs" : "", ISO8601.string(next, in: zone)))
            }
            if job.nextRuns.isEmpty { lines.append(("Next runs", job.enabled ? "none (the schedule has ended)" : "none (paused)")) }
        }
        lines.append(("History", "keeps the last \(job.historySize) runs"))
        if !brief {
            if !job.activeRuns.isEmpty { lines.append(("Active runs", job.activeRuns.map(String.init).joined(separator: ", "))) }
            if let run = job.latestRun {
                var latest = "\(run.id)  \(run.state.rawValue)"
                if let code = run.exitCode { latest += "  exit \(code)" }
                latest += "  at \(time(run.startedAt ?? run.createdAt))"
                if run.startedAt != nil { latest += "  took \(duration(of: run, now: now))" }
                if let reason = run.reason { latest += "  (\(reason))" }
                lines.append(("Latest run", latest))
            } else {
                lines.append(("Latest run", "none yet"))
            }
            let settings = String(decoding: JSONValue.object(job.settings).jsonData, as: UTF8.self)
            lines.append(("Settings", settings))
            lines.append(("Package", "sha256 \(job.packageDigest.prefix(16))"))
            lines.append(("Deployed", "\(time(job.createdAt)), updated \(time(job.updatedAt))"))
        }
        for (index, problem) in job.problems.enumerated() {
            lines.append((index == 0 ? "Problems" : "", "\(problem.severity.rawValue): \(problem)"))
        }
        let width = lines.map(\.0.count).max().map { $0 + 2 } ?? 0
        return lines.map { label, value in
            (label.isEmpty ? "" : label + ":").padding(toLength: width, withPad: " ", startingAt: 0) + value
        }.joined(separator: "\n") + "\n"
    }

    /// `errand job list`: one line per job.
    static func list(_ jobs: [JobView]) -> String {
        let rows = jobs.map { job -> [String] in
            let schedule = job.schedule.map { $0.hasPrefix("{") ? (job.scheduleDescription ?? "recurrence") : $0 } ?? "-"
            let next = job.nextRuns.first.map { time($0) } ?? "-"
            let last = job.latestRun.map { "\($0.id) \($0.state.rawValue) \(time($0.startedAt ?? $0.createdAt))" } ?? "-"
            return [job.name, job.kind, job.status, schedule, next, last]
        }
        return Terminal.table(header: ["Name", "Kind", "Status", "Schedule", "NextRun", "LastRun"], rows: rows)
    }

    /// `errand job history`: the runs as given (newest first).
    static func history(_ runs: [Run], now: Date = Date()) -> String {
        let rows = runs.map { run -> [String] in
            [
                String(run.id), run.state.rawValue, run.triggerDetail ?? run.trigger.rawValue,
                run.startedAt.map { time($0) } ?? "-", run.startedAt == nil ? "-" : duration(of: run, now: now),
                run.exitCode.map(String.init) ?? run.signal.map { ExitStatus.signalName($0) } ?? "-", run.reason ?? "",
            ]
        }
        return Terminal.table(header: ["Id", "State", "Trigger", "Started", "Duration", "ExitCode", "Reason"], rows: rows)
    }

    /// The exit status of `errand job trigger --wait`: 0 completed, the run's exit code when it failed
    /// with one, 128+N when killed by signal N, else 1 (stopped, timed out, could not start).
    static func exitCode(of run: Run) -> Int32 {
        switch run.state {
        case .completed: return 0
        case .failed:
            if let code = run.exitCode, code != 0 { return code }
            if let signal = run.signal { return 128 + signal }
            return 1
        default: return 1
        }
    }

    /// "failed: exited with code 3", "was stopped: …", for the message after a run that did not complete.
    static func outcome(of run: Run) -> String {
        let verb = run.state == .stopped ? "was stopped" : run.state.rawValue.lowercased()
        return run.reason.map { "\(verb): \($0)" } ?? verb
    }

    /// Local wall-clock time, `2026-11-23 14:05:09` (with milliseconds when `fraction`).
    static func time(_ date: Date, fraction: Bool = false) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .current
        formatter.dateFormat = fraction ? "yyyy-MM-dd HH:mm:ss.SSS" : "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    /// The run's duration so far (to its end, or to `now` while it runs).
    static func duration(of run: Run, now: Date) -> String {
        guard let started = run.startedAt else { return "-" }
        return seconds((run.endedAt ?? now).timeIntervalSince(started))
    }

    /// `0.42 s`, `12.3 s`, `4m 05s`, `2h 07m`.
    static func seconds(_ interval: TimeInterval) -> String {
        let value = max(0, interval)
        if value < 10 { return String(format: "%.2f s", value) }
        if value < 60 { return String(format: "%.1f s", value) }
        let whole = Int(value)
        if whole < 3600 { return String(format: "%dm %02ds", whole / 60, whole % 60) }
        return String(format: "%dh %02dm", whole / 3600, whole % 3600 / 60)
    }
}
