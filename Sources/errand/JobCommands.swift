import ArgumentParser
import ErrandClient
import ErrandCore
import ErrandJobs
import Foundation

/// `errand job …`: deployed jobs (WebJobs): deploy, trigger, start/stop, show, list, history, settings, remove.
struct JobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job",
        abstract: "Deploy named jobs and run them on demand, continuously or on a schedule (WebJobs).",
        discussion: """
            A job is a folder or zip (its package) with a program or script to run and an optional \
            settings.job. Triggered jobs run when you trigger them, scheduled ones on their schedule, \
            continuous ones are kept running by the daemon and restarted with backoff. Each run of a \
            job is an ordinary run: `errand logs RUN --follow` tails it and `errand stop RUN` cancels it.

            Examples:
              errand job deploy report ./report --triggered
              errand job trigger report --wait -- --month 2026-11 "Team A"
              errand job deploy cleanup cleanup.zip --triggered --schedule '0 0 3 * * *'
              errand job deploy worker ./worker --continuous
              errand job show worker
              errand job history report --limit 5

            See docs/jobs.md for settings.job, entry points and package rules.
            """,
        subcommands: [
            JobDeployCommand.self, JobTriggerCommand.self, JobStartCommand.self, JobStopCommand.self, JobShowCommand.self,
            JobListCommand.self, JobHistoryCommand.self, JobSettingsCommand.self, JobRemoveCommand.self,
        ]
    )
}

/// The job a verb works on.
struct JobNameArgument: ParsableArguments {
    @Argument(help: ArgumentHelp("The job's name.", valueName: "NAME"))
    var name: String
}

/// `errand job deploy`.
struct JobDeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Deploy or replace a job from a folder, a zip or a single script.",
        discussion: """
            A folder is zipped first (exec bits and symbolic links are kept); a .zip is sent as it is; any \
            other file is deployed alone, as Kudu does. The daemon checks paths, links, sizes, settings, the \
            entry point and its interpreter before anything changes: a refused deploy leaves the previous \
            version of the job working.

            --schedule, --recurrence and --settings replace what the package's settings.job says. A \
            triggered job with a schedule is a scheduled job.

            Job names ignore case: deploying Report when report exists replaces report. A job's kind never \
            changes silently: deploying --continuous under the name of a triggered job (or the reverse) is \
            refused; --replace removes that job (its runs and history too) and deploys the new one.

            Examples:
              errand job deploy hello ./hello --triggered
              errand job deploy nightly nightly.zip --triggered --schedule '0 30 2 * * *'
              errand job deploy weekly ./weekly --triggered --recurrence @weekly.json
              errand job deploy worker ./worker --continuous --settings prod-settings.job
              errand job deploy report ./report-worker --continuous --replace
            """)

    enum Kind: String, EnumerableFlag {
        case triggered
        case continuous

        static func help(for value: Kind) -> ArgumentHelp? {
            switch value {
            case .triggered: "Run on demand (`errand job trigger`), or on the schedule if there is one."
            case .continuous: "Keep it running: started now and when the daemon starts, restarted when it exits."
            }
        }
    }

    @OptionGroup var client: ClientOptions
    @OptionGroup var job: JobNameArgument

    @Argument(help: ArgumentHelp("A folder, a .zip, or one script or program.", valueName: "PATH|ZIP"))
    var path: String

    @Flag(exclusivity: .exclusive)
    var kind: Kind?

    @Option(help: ArgumentHelp("A cron expression (5 or 6 fields, macros, @every), e.g. '0 */5 * * * *'.", valueName: "EXPR"))
    var schedule: String?

    @Option(help: ArgumentHelp("An Azure-style recurrence object as JSON, or @FILE to read it from a file.", valueName: "JSON|@FILE"))
    var recurrence: String?

    @Option(help: ArgumentHelp("A settings.job file that replaces the package's own (- for stdin).", valueName: "FILE"))
    var settings: String?

    @Flag(help: "If a job of the other kind has this name, remove it (runs and history too) and deploy this one.")
    var replace = false

    func validate() throws {
        if kind == nil { throw ValidationError("say how the job runs: --triggered or --continuous") }
        if schedule != nil && recurrence != nil { throw ValidationError("give --schedule or --recurrence, not both") }
        if kind == .continuous && (schedule != nil || recurrence != nil) {
            throw ValidationError("a continuous job runs all the time; --schedule and --recurrence are for --triggered jobs")
        }
    }

    func run() async throws {
        var options = JobDeployOptions(continuous: kind == .continuous, schedule: schedule, replace: replace)
        if let recurrence { options.recurrence = recurrence.hasPrefix("@") ? try Self.text(String(recurrence.dropFirst())) : recurrence }
        if let settings { options.settings = try Self.text(settings) }
        let source = URL(fileURLWithPath: path).standardizedFileURL
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source.path, isDirectory: &isFolder) else {
            throw ErrandError.badRequest("\(path) does not exist: give a folder, a .zip or a script")
        }
        let connection = try await client.connect()
        let deployed: (job: JobView, created: Bool)
        if isFolder.boolValue {
            let zip = try PackageArchive.zip(folder: source)
            defer { try? FileManager.default.removeItem(at: zip) }
            deployed = try await connection.deployJob(job.name, package: zip, options: options)
        } else if Self.isZip(source) {
            deployed = try await connection.deployJob(job.name, package: source, options: options)
        } else {
            deployed = try await connection.deployJob(job.name, package: source, fileName: source.lastPathComponent, options: options)
        }
        if client.json {
            try Terminal.printJSON(deployed.job)
            return
        }
        Terminal.write("\(deployed.created ? "Deployed" : "Replaced") job '\(deployed.job.name)'.\n")
        Terminal.write(JobText.details(deployed.job, brief: true))
    }

    /// The contents of a file named on the command line (nil for nil).
    static func text(_ path: String?) throws -> String? {
        guard let path else { return nil }
        return String(decoding: try readFile(path), as: UTF8.self)
    }

    /// A zip by its name or its first bytes (`PK`); anything else is a single file.
    static func isZip(_ url: URL) -> Bool {
        if url.pathExtension.lowercased() == "zip" { return true }
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        let magic = (try? handle.read(upToCount: 4)) ?? Data()
        return magic == Data([0x50, 0x4B, 0x03, 0x04]) || magic == Data([0x50, 0x4B, 0x05, 0x06])
    }
}

/// `errand job trigger`.
struct JobTriggerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trigger",
        abstract: "Run a triggered or scheduled job now, with arguments.",
        discussion: """
            Arguments after `--` reach the entry point as separate argv elements, exactly as typed (never \
            re-parsed by a shell). The job's overlap policy decides what happens while a run is going \
            (skip refuses, queue waits, allow runs beside it, replace stops it).

            Without --wait the run is printed and the command returns at once. With --wait its output is \
            streamed (Output on stdout, Error on stderr; NDJSON records with --json), a failed attempt that \
            the job's `retries` try again is followed to its retry (the wait is said on stderr), and the \
            command exits with the last attempt's result: 0 when it completed, its exit code when it failed \
            (128+N when killed by signal N), 1 when it was stopped or failed without an exit code.

            Examples:
              errand job trigger report
              errand job trigger report --wait -- --title "Q3 report" "it's done"
            """)

    @OptionGroup var client: ClientOptions
    @OptionGroup var job: JobNameArgument

    @Flag(help: "Stream the run's output until it ends and exit with its result.")
    var wait = false

    @Argument(parsing: .postTerminator, help: ArgumentHelp("Arguments for the job, after `--`.", valueName: "ARG"))
    var arguments: [String] = []

    func run() async throws {
        let connection = try await client.connect()
        let run = try await connection.trigger(job: job.name, arguments: arguments)
        guard wait else {
            if client.json { try Terminal.printJSON(run) } else { Terminal.write(Terminal.runTable([run])) }
            return
        }
        var ended = try await ReceiveCommand.stream(connection, id: run.id, keep: false, wait: true, json: client.json)
        // A failed attempt that the job retries is followed to its retry, and so on: the exit is the last attempt's.
        while ended.state == .failed, let retry = try await nextAttempt(after: ended, first: run, connection) {
            ended = try await ReceiveCommand.stream(connection, id: retry.id, keep: false, wait: true, json: client.json)
        }
        let code = JobText.exitCode(of: ended)
        if code != 0 { Terminal.error("run \(ended.id) of '\(job.name)' \(JobText.outcome(of: ended))") }
        if code != 0 { throw ExitCode(code) }
    }
}

extension JobTriggerCommand {
    /// The retry of a failed attempt, once the daemon has started it; nil when the job's `retries`
    /// allow none (or the retry did not appear within its delay and a grace).
    func nextAttempt(after failed: Run, first: Run, _ connection: ErrandClient) async throws -> Run? {
        let policy = JobSettings(object: try await connection.job(job.name).settings).retries
        guard let delay = policy.delay(beforeRetry: failed.attempt) else { return nil }
        let seconds = delay.seconds
        let wait = seconds == seconds.rounded() ? "\(Int(seconds)) s" : String(format: "%.1f s", seconds)
        Terminal.error(
            "run \(failed.id) of '\(job.name)' \(JobText.outcome(of: failed)); retry \(failed.attempt) of \(policy.count) in \(wait)")
        let deadline = Date().addingTimeInterval(seconds + 30)
        while Date() < deadline {
            // Retries are numbered attempts with the first run as their parent.
            let attempts = try await connection.runs([("parent", String(first.id))])
            if let next = attempts.first(where: { $0.attempt == failed.attempt + 1 }) { return next }
            try await Task.sleep(for: .milliseconds(min(1000, max(100, Int(seconds * 100)))))
        }
        return nil
    }
}

/// `errand job start`.
struct JobStartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start a continuous job, or resume a scheduled job's schedule (kept across daemon restarts).",
        discussion: "Example: errand job start worker")

    @OptionGroup var client: ClientOptions
    @OptionGroup var job: JobNameArgument

    func run() async throws {
        let view = try await client.connect().startJob(job.name)
        if client.json {
            try Terminal.printJSON(view)
        } else if view.kind == "scheduled" {
            let next = view.nextRuns.first.map { "; next run at \(JobText.time($0))" } ?? ""
            Terminal.write("Resumed the schedule of '\(view.name)'\(next).\n")
        } else {
            Terminal.write("Started job '\(view.name)': \(view.status).\n")
        }
    }
}

/// `errand job stop`.
struct JobStopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop a continuous job gracefully, or pause a scheduled job (kept across daemon restarts).",
        discussion: """
            A continuous job's run gets its shutdown file ($ERRAND_SHUTDOWN_FILE, also $WEBJOBS_SHUTDOWN_FILE) \
            and SIGTERM, then SIGKILL after the job's stopping_wait_time (default 5 s); the command returns \
            when it ended. A paused schedule lets a run going finish. To cancel one run of a triggered job, \
            use `errand stop RUN`.
            Example: errand job stop worker
            """)

    @OptionGroup var client: ClientOptions
    @OptionGroup var job: JobNameArgument

    func run() async throws {
        let view = try await client.connect().stopJob(job.name)
        if client.json {
            try Terminal.printJSON(view)
        } else if view.kind == "scheduled" {
            let going = view.activeRuns.first.map { "; run \($0) is still going (`errand stop \($0)` cancels it)" } ?? ""
            Terminal.write("Paused the schedule of '\(view.name)'\(going).\n")
        } else {
            Terminal.write(
                "Stopped job '\(view.name)'; it stays stopped, across daemon restarts too, until `errand job start \(view.name)`.\n")
        }
    }
}

/// `errand job show`.
struct JobShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a job: status, command, schedule and next runs, restarts, settings and their problems, latest run.",
        discussion: "Example: errand job show nightly")

    @OptionGroup var client: ClientOptions
    @OptionGroup var job: JobNameArgument

    func run() async throws {
        let view = try await client.connect().job(job.name)
        if client.json { try Terminal.printJSON(view) } else { Terminal.write(JobText.details(view, brief: false)) }
    }
}

/// `errand job list`.
struct JobListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the deployed jobs: Name Kind Status Schedule NextRun LastRun.")

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let jobs = try await client.connect().jobs()
        if client.json {
            try Terminal.printJSON(jobs)
        } else if jobs.isEmpty {
            Terminal.writeError("no jobs deployed; deploy one with `errand job deploy NAME PATH --triggered`\n")
        } else {
            Terminal.write(JobText.list(jobs))
        }
    }
}

/// `errand job history`.
struct JobHistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List a job's runs, newest first: Id State Trigger Started Duration ExitCode Reason.",
        discussion: """
            A job keeps its last history_size runs (default 30) with their output; older ones are deleted. \
            Scheduled ticks skipped by the overlap or missed policy are listed as Stopped with the reason. \
            `errand logs ID` prints a run's output.
            Example: errand job history nightly --limit 5
            """)

    @OptionGroup var client: ClientOptions
    @OptionGroup var job: JobNameArgument

    @Option(help: "Only the newest N runs.")
    var limit: Int?

    func validate() throws {
        if let limit { try FlagBounds.count(limit, flag: "--limit") }
    }

    func run() async throws {
        let runs = try await client.connect().jobHistory(job.name, limit: limit)
        if client.json { try Terminal.printJSON(runs) } else { Terminal.write(JobText.history(runs)) }
    }
}

/// `errand job settings`.
struct JobSettingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings",
        abstract: "Print a job's settings.job, or replace it with --set.",
        discussion: """
            Replaced settings are checked as at deploy time: errors refuse them (the job keeps its old \
            ones), warnings are printed. A running continuous job is restarted with the new settings.
            Examples:
              errand job settings nightly
              errand job settings nightly --set settings.job
              echo '{"history_size": 100}' | errand job settings nightly --set -
            """)

    @OptionGroup var client: ClientOptions
    @OptionGroup var job: JobNameArgument

    @Option(help: ArgumentHelp("Replace the settings with this file's JSON (- for stdin).", valueName: "FILE"))
    var set: String?

    func run() async throws {
        let connection = try await client.connect()
        guard let set else {
            try Terminal.printJSON(try await connection.jobSettings(job.name))
            return
        }
        let view = try await connection.replaceJobSettings(job.name, json: try readFile(set))
        if client.json {
            try Terminal.printJSON(view)
            return
        }
        try Terminal.printJSON(view.settings)
        for problem in view.problems { Terminal.writeError("\(problem.severity.rawValue): \(problem)\n") }
    }
}

/// `errand job remove`.
struct JobRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Delete a job with its package link, history, output and data folder.",
        discussion: """
            A triggered or scheduled job with a run going is refused unless --force, which stops the run \
            first. A continuous job is stopped gracefully and removed.
            Example: errand job remove nightly --force
            """)

    @OptionGroup var client: ClientOptions
    @OptionGroup var job: JobNameArgument

    @Flag(help: "Stop a run going first instead of refusing.")
    var force = false

    func run() async throws {
        try await client.connect().removeJob(job.name, force: force)
        if client.json { try Terminal.printJSON(["removed": job.name]) } else { Terminal.write("Removed job '\(job.name)'.\n") }
    }
}

/// A file named on the command line, or standard input for `-`.
func readFile(_ path: String) throws -> Data {
    do {
        let handle = path == "-" ? FileHandle.standardInput : try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        return try handle.readToEnd() ?? Data()
    } catch {
        throw ErrandError.badRequest("cannot read \(path): \(error.localizedDescription)")
    }
}
