import ErrandCore
import Foundation

/// One row of the Runs table: PowerShell's `Id Name Type State HasMoreData Location Command`.
struct RunRow: Sendable {
    var id: Int64
    var href: String
    var name: String
    var job: String?
    var jobHref: String?
    var type: String
    var state: String
    var stateClass: String
    var hasMoreData: String
    var location: String
    var command: String
    var created: String
    var createdISO: String
    var canStop: Bool
    var canRemove: Bool

    init(_ run: Run) {
        id = run.id
        href = "/runs/\(run.id)"
        name = run.name
        job = run.job
        jobHref = run.job.map { "/jobs/\(PathText.escape($0))" }
        type = run.type.rawValue
        state = run.state.rawValue
        stateClass = StateStyle.of(run.state)
        hasMoreData = run.hasMoreData ? "True" : "False"
        location = run.location
        command = run.command
        created = TimeText.clock(run.createdAt)
        createdISO = TimeText.iso(run.createdAt)
        canStop = !run.state.isFinished
        canRemove = run.state.isFinished
    }
}

/// A choice in a `<select>`.
struct Option: Sendable {
    var value: String
    var label: String
    var selected: Bool
}

/// The Runs page.
struct RunsPage: Sendable {
    var chrome: Chrome
    var rows: [RunRow]
    var states: [Option]
    var name: String
    var filtered: Bool
    var empty: Bool
    var summary: String
    /// The fan-out whose children these are.
    var parent: String?
    /// Where the stop/remove forms come back to (this page with its filters).
    var back: String

    static let shown = 200

    init(chrome: Chrome, runs: [Run], state: RunState?, name: String, parent: Int64? = nil, back: String) {
        self.chrome = chrome
        rows = runs.reversed().map(RunRow.init)  // newest first
        states =
            [Option(value: "", label: "Any state", selected: state == nil)]
            + RunState.allCases.map { Option(value: $0.rawValue, label: $0.rawValue, selected: $0 == state) }
        self.name = name
        filtered = state != nil || !name.isEmpty || parent != nil
        empty = runs.isEmpty
        let count = runs.count == 1 ? "1 run" : "\(runs.count) runs"
        summary = runs.count >= Self.shown ? "the newest \(Self.shown) runs" : count
        if let parent { summary += ", children of fan-out run \(parent)" }
        self.parent = parent.map(String.init)
        self.back = back
    }
}

/// A label and value in the run page's summary.
struct Fact: Sendable {
    var label: String
    var value: String
    var mono = false
    var href: String? = nil
    /// Takes a whole row (long values such as the command).
    var wide = false
}

/// A link of a toggle group (all / stdout / stderr; timestamps).
struct Toggle: Sendable {
    var label: String
    var href: String
    var value: String
    var current: Bool
}

/// The Run page: its summary, actions, and output with toggles and live tail.
struct RunPage: Sendable {
    struct Line: Sendable {
        var cls: String
        var time: String
        var text: String
    }

    var chrome: Chrome
    var id: Int64
    var name: String
    /// The job the run belongs to, for the breadcrumbs.
    var job: String?
    var jobHref: String?
    var state: String
    var stateClass: String
    var facts: [Fact]
    var canStop: Bool
    var canRemove: Bool
    var lines: [Line]
    var noOutput: Bool
    var show: String
    var timestamps: Bool
    var streams: [Toggle]
    var timestampsToggle: Toggle
    var downloadHref: String
    /// Chunks left out at the top (the page shows the tail of a long log).
    var hiddenNote: String?
    /// The live tail reads events after this output position.
    var after: Int64
    var live: Bool

    /// Lines a page shows at most: enough to read, small enough to render fast (the log has the rest).
    static let maxLines = 5000

    enum Show: String, CaseIterable, Sendable {
        case all, output, error

        var label: String {
            switch self {
            case .all: "All"
            case .output: "Stdout"
            case .error: "Stderr"
            }
        }
    }

    init(
        chrome: Chrome, run: Run, chunks: [OutputChunk], hiddenChunks: Int64, after: Int64, show: Show, timestamps: Bool, now: Date
    ) {
        self.chrome = chrome
        id = run.id
        name = run.name
        job = run.job
        jobHref = run.job.map { "/jobs/\(PathText.escape($0))" }
        state = run.state.rawValue
        stateClass = StateStyle.of(run.state)
        facts = Self.facts(run, now: now)
        canStop = !run.state.isFinished
        canRemove = run.state.isFinished
        var assembler = OutputLines()
        for chunk in chunks { assembler.append(chunk) }
        let shown = assembler.lines.suffix(Self.maxLines)
        var clock = (Date.distantPast, "")
        lines = shown.map { line in
            if line.time != clock.0 { clock = (line.time, TimeText.clock(line.time) + " ") }
            return Line(cls: line.stream == .error ? "e" : "o", time: clock.1, text: line.text)
        }
        noOutput = lines.isEmpty
        self.show = show.rawValue
        self.timestamps = timestamps
        let base = "/runs/\(run.id)"
        let ts = timestamps ? "&timestamps=1" : ""
        streams = Show.allCases.map {
            Toggle(label: $0.label, href: "\(base)?stream=\($0.rawValue)\(ts)", value: $0.rawValue, current: $0 == show)
        }
        timestampsToggle = Toggle(
            label: "Timestamps", href: "\(base)?stream=\(show.rawValue)\(timestamps ? "" : "&timestamps=1")", value: "timestamps",
            current: timestamps)
        var query = show == .all ? "" : "&stream=\(show.rawValue)"
        if timestamps { query += "&timestamps=1" }
        downloadHref = "/api/v1/runs/\(run.id)/log?download=1\(query)"
        hiddenNote =
            hiddenChunks > 0 || shown.count < assembler.lines.count
            ? "Only the end of the output is shown here (at most \(Self.maxLines) lines); download the log for all of it." : nil
        self.after = after
        live = !run.state.isFinished
    }

    static func facts(_ run: Run, now: Date) -> [Fact] {
        var facts = [Fact(label: "Command", value: run.command, mono: true, wide: true)]
        if let job = run.job { facts.append(Fact(label: "Job", value: job, href: "/jobs/\(PathText.escape(job))")) }
        if run.isFanOutParent {
            facts.append(Fact(label: "Children", value: "one run per host", href: "/runs?parent=\(run.id)"))
        }
        if run.isFanOutChild, let parent = run.parentId {
            facts.append(Fact(label: "Fan-out", value: "run \(parent)", href: "/runs/\(parent)"))
        }
        facts += [
            Fact(label: "Trigger", value: TriggerText.of(run)),
            Fact(label: "Type", value: run.type.rawValue),
            Fact(label: "Location", value: run.location),
            Fact(label: "Created", value: TimeText.clock(run.createdAt)),
        ]
        if let user = run.runAs { facts.append(Fact(label: "User", value: user, mono: true)) }
        if let started = run.startedAt { facts.append(Fact(label: "Started", value: TimeText.clock(started))) }
        if let ended = run.endedAt { facts.append(Fact(label: "Ended", value: TimeText.clock(ended))) }
        if let started = run.startedAt {
            let seconds = (run.endedAt ?? now).timeIntervalSince(started)
            facts.append(Fact(label: "Duration", value: TimeText.duration(seconds) + (run.endedAt == nil ? " so far" : "")))
        }
        if let code = run.exitCode { facts.append(Fact(label: "Exit code", value: String(code))) }
        if let signal = run.signal { facts.append(Fact(label: "Signal", value: SignalName.of(signal))) }
        if let reason = run.reason { facts.append(Fact(label: "Reason", value: reason)) }
        if let directory = run.workingDirectory { facts.append(Fact(label: "Directory", value: directory, mono: true)) }
        if run.throttleGroup != ThrottleGroup.default { facts.append(Fact(label: "Throttle group", value: run.throttleGroup)) }
        if run.attempt > 1 { facts.append(Fact(label: "Attempt", value: String(run.attempt))) }
        if let pid = run.pid, !run.state.isFinished { facts.append(Fact(label: "PID", value: String(pid))) }
        return facts
    }
}

/// A signal as the dashboard shows it: `9 (SIGKILL)`, the name from ErrandCore.
enum SignalName {
    static func of(_ signal: Int32) -> String {
        let name = ExitStatus.signalName(signal)
        return name.hasPrefix("SIG") ? "\(signal) (\(name))" : String(signal)
    }
}

/// Names in URL paths (job names are already restricted, but a path is never built unescaped).
enum PathText {
    static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? segment
    }
}

/// A run's trigger in words: `api curl/8.5.0`, `schedule 0 */5 * * * *`, `manual (dashboard)`.
enum TriggerText {
    static func of(_ run: Run) -> String {
        let kind = run.trigger.rawValue
        guard let detail = run.triggerDetail, !detail.isEmpty else { return kind }
        return detail.hasPrefix(kind) ? detail : "\(kind) (\(detail))"
    }
}
