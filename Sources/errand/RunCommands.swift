import ArgumentParser
import ErrandClient
import ErrandCore
import Foundation
import NIOCore

/// `errand start` (Start-Job).
struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start a command as a background run and return at once (Start-Job).",
        discussion: """
            The run gets your working directory and environment, as `COMMAND &` would, plus \
            ERRAND_RUN_ID, ERRAND_JOB_NAME and ERRAND_INSTANCE. Arguments are passed as they are, never re-parsed by a shell.
            Example: errand start --name backup -- tar czf /tmp/home.tgz /home
            In a session: errand start --session deploys -- ./deploy.sh (see `errand session --help`)
            """)

    @OptionGroup var client: ClientOptions
    @OptionGroup var session: SessionOption

    @Option(help: "Name of the run (default: Job<Id>).")
    var name: String?

    @Option(help: ArgumentHelp("Working directory of the run (default: the current one).", valueName: "DIR"))
    var cwd: String?

    @Option(name: .customLong("env"), help: ArgumentHelp("Set an environment variable (repeatable).", valueName: "K=V"))
    var environment: [String] = []

    @Flag(help: "Start from an empty environment instead of yours (then only --env values are set).")
    var cleanEnv = false

    @Option(help: ArgumentHelp("Stop the run and record it Failed after this many seconds.", valueName: "SECONDS"))
    var timeout: Double?

    @Option(help: "Queue behind other runs of this group (at most the group's limit run at once).")
    var throttleGroup: String?

    @Option(help: "Set the throttle group's limit of runs at once.")
    var throttleLimit: Int?

    @Option(
        help: ArgumentHelp(
            "On a fleet (docs/fleet.md): run on this instance, or on any with a free slot (the first to claim it).",
            valueName: "NAME|any"))
    var instance: String?

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command and its arguments, after `--`.", valueName: "COMMAND"))
    var command: [String] = []

    func validate() throws {
        if let instance {
            do { try InstanceRecord.checkName(instance, field: "--instance") } catch { throw ValidationError(error.message) }
        }
        if let bad = environment.first(where: { !$0.contains("=") || $0.hasPrefix("=") }) {
            throw ValidationError("--env wants K=V, got '\(bad)'")
        }
        if let timeout {
            try FlagBounds.seconds(timeout, flag: "--timeout", max: InputBounds.maxTimeoutSeconds, positive: true)
        }
        if let throttleLimit { try FlagBounds.count(throttleLimit, flag: "--throttle-limit") }
    }

    func run() async throws {
        guard !command.isEmpty, !command[0].isEmpty else {
            throw ErrandError.badRequest("the command is empty: give the program to run after `--`, e.g. errand start -- sleep 10")
        }
        var env = cleanEnv ? [:] : ProcessInfo.processInfo.environment
        for pair in environment {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            env[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        let directory =
            cwd.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            ?? FileManager.default.currentDirectoryPath
        let request = RunRequest(
            argv: command, name: name, workingDirectory: directory, environment: env, throttleGroup: throttleGroup,
            throttleLimit: throttleLimit, timeout: timeout, session: session.resolved, instance: instance)
        let run = try await client.connect().start(request)
        if client.json { try Terminal.printJSON(run) } else { Terminal.write(Terminal.runTable([run])) }
    }
}

/// `errand get` (Get-Job).
struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "List runs (Get-Job).",
        discussion: """
            Arguments that are numbers are run ids; others are names, with * and ? wildcards. With \
            --session (or ERRAND_SESSION) only the session's runs are listed, HasMoreData as the session sees it.
            The children of fan-outs (`errand invoke`) are left out unless --include-children or \
            --parent is given, or they are named by id; `get ID --include-children` lists the run and its children. \
            --command selects by command line (Get-Job -Command), with the same wildcards.
            Examples: errand get --state Running; errand get --session deploys; errand get --command '*rsync*'
            """)

    @OptionGroup var client: ClientOptions
    @OptionGroup var session: SessionOption

    @Argument(help: ArgumentHelp("Run ids or names.", valueName: "ID|NAME"))
    var selectors: [String] = []

    @Option(help: "Only runs in this state (NotStarted, Running, Completed, Failed, Stopping, Stopped, …).")
    var state: [String] = []

    @Option(help: "Only the newest N matching runs.")
    var newest: Int?

    @Option(help: ArgumentHelp("Only runs that have (true) or have no (false) unreceived output.", valueName: "true|false"))
    var hasMoreData: Bool?

    @Option(help: "Only runs with an id below this one.")
    var before: Int64?

    @Option(help: "Only runs with an id above this one.")
    var after: Int64?

    @Flag(help: "Also list the children of fan-outs (one per host; Get-Job -IncludeChildJob).")
    var includeChildren = false

    @Option(help: ArgumentHelp("Only the children of this fan-out run.", valueName: "ID"))
    var parent: Int64?

    @Option(help: ArgumentHelp("Only runs whose command line matches this pattern (* and ? wildcards).", valueName: "PATTERN"))
    var command: [String] = []

    func run() async throws {
        let ids = selectors.compactMap { Int64($0) }
        let names = selectors.filter { Int64($0) == nil }
        var filters: [(String, String)] = state.map { ("state", $0) }
        if includeChildren { filters.append(("includeChildren", "true")) }
        if let parent { filters.append(("parent", String(parent))) }
        if let newest { filters.append(("newest", String(newest))) }
        if let hasMoreData { filters.append(("hasMoreData", String(hasMoreData))) }
        if let before { filters.append(("before", String(before))) }
        if let after { filters.append(("after", String(after))) }
        let scope = session.resolved.map { [("session", $0)] } ?? []
        let connection = try await client.connect()
        // Ids and names each select runs (either may match); the filters narrow both.
        var selections: [[(String, String)]] = []
        if !ids.isEmpty { selections.append(ids.map { ("id", String($0)) }) }
        if !names.isEmpty { selections.append(names.map { ("name", $0) }) }
        // A run named by id with --include-children brings its children (Get-Job -Id N -IncludeChildJob).
        if includeChildren { selections += ids.map { [("parent", String($0))] } }
        var found: [Int64: Run] = [:]
        for selection in selections.isEmpty ? [[]] : selections {
            for run in try await connection.runs(selection + filters + scope) { found[run.id] = run }
        }
        let patterns = command.map(NamePattern.init)
        let runs = found.values.filter { run in patterns.isEmpty || patterns.contains { $0.matches(run.command) } }
            .sorted { $0.id < $1.id }
        if client.json { try Terminal.printJSON(runs) } else if !runs.isEmpty { Terminal.write(Terminal.runTable(runs)) }
        // Like Get-Job: what was found is printed; each id or name that matched nothing is an error.
        guard filters.allSatisfy({ $0.0 == "includeChildren" }) && scope.isEmpty && command.isEmpty else { return }
        let missing = ids.filter { id in !runs.contains { $0.id == id } }
        if !missing.isEmpty {
            throw ErrandError.notFound("no run with id \(missing.map(String.init).joined(separator: ", "))")
        }
        // A wildcard that matches nothing is not an error (Get-Job -Name x*); an exact name is.
        let unmatched = names.filter { pattern in
            !NamePattern(pattern).isWildcard && !runs.contains { Self.matches($0.name, pattern) }
        }
        if !unmatched.isEmpty {
            throw ErrandError.notFound("no run matches the name \(unmatched.map { "'\($0)'" }.joined(separator: " or "))")
        }
    }

    /// The daemon's name match (``NamePattern``), to tell which pattern matched nothing.
    static func matches(_ name: String, _ pattern: String) -> Bool { NamePattern(pattern).matches(name) }
}

/// `errand receive` (Receive-Job).
struct ReceiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receive", abstract: "Print output not yet received, Output on stdout and Error on stderr (Receive-Job).",
        discussion: """
            Each receive moves the run's cursor past what it printed, so the next one prints only newer \
            output. Unlike PowerShell, nothing is deleted: `errand logs` always shows everything. \
            With --session (or ERRAND_SESSION) the session's own cursor is used (Receive-PSSession).
            Example: errand receive --session deploys 12 --wait
            """)

    @OptionGroup var client: ClientOptions
    @OptionGroup var targets: RunTargets
    @OptionGroup var session: SessionOption

    @Flag(help: "Leave the cursor where it is (print the same output again next time).")
    var keep = false

    @Flag(help: "Keep streaming until the runs finish.")
    var wait = false

    @Flag(help: "Remove each run once it finished and all its output was received.")
    var autoRemove = false

    @Option(help: "Receive as this named reader, with its own cursor.")
    var reader: String = ""

    func validate() throws {
        if !reader.isEmpty && session.session != nil { throw ValidationError("give either --session or --reader, not both") }
    }

    func run() async throws {
        let connection = try await client.connect()
        let session = reader.isEmpty ? self.session.resolved : nil
        var each = EachTarget()
        let chosen = try await targets.resolve(connection)
        for problem in chosen.problems { each.report(problem) }
        for target in chosen.runs {
            await each.attempt {
                let run = try await Self.stream(
                    connection, id: target.id, reader: reader, session: session, keep: keep, wait: wait, json: client.json)
                if autoRemove && run.state.isFinished && !keep {
                    try await connection.remove(id: target.id, force: false)
                }
            }
        }
        try each.finish()
    }

    /// Prints the run's unreceived output (NDJSON records with `json`) and, with `wait`, keeps
    /// streaming until the run finished. Returns the run as the last page saw it. `errand job
    /// trigger --wait` streams the same way.
    static func stream(
        _ connection: ErrandClient, id: Int64, reader: String = "", session: String? = nil, keep: Bool, wait: Bool, json: Bool
    ) async throws -> Run {
        var page = try await connection.receive(id: id, reader: reader, session: session, keep: keep, wait: 0)
        var logs = Terminal.StreamLogs()
        while true {
            if json { Terminal.printLines(page.records) } else { Terminal.writeStreams(page.records, logs: &logs) }
            let caughtUp = page.records.count < 1000
            if caughtUp && (!wait || page.run.state.isFinished) { break }
            if keep {
                page = try await connection.output(id: id, after: page.next, wait: caughtUp ? 25 : 0)
            } else {
                page = try await connection.receive(id: id, reader: reader, session: session, keep: false, wait: caughtUp ? 25 : 0)
            }
        }
        return page.run
    }
}

/// `errand wait` (Wait-Job).
struct WaitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait", abstract: "Wait until runs finish (Wait-Job); exit 124 if the timeout comes first.",
        discussion: """
            Prints the runs once they finished; with --any, only the run(s) that finished. An id or a name that             finds nothing is reported and the others are waited for (exit 1 at the end).
            Examples: errand wait 12 13; errand wait --name 'backup-*' --timeout 600; errand wait --any 12 13
            """)

    @OptionGroup var client: ClientOptions
    @OptionGroup var targets: RunTargets

    @Flag(help: "Return when any one of the runs finished.")
    var any = false

    @Option(help: ArgumentHelp("Give up after this many seconds (exit 124).", valueName: "SECONDS"))
    var timeout: Double?

    func validate() throws {
        if let timeout { try FlagBounds.seconds(timeout, flag: "--timeout", max: InputBounds.maxTimeoutSeconds) }
    }

    func run() async throws {
        let connection = try await client.connect()
        var each = EachTarget()
        let chosen = try await targets.resolve(connection)
        for problem in chosen.problems { each.report(problem) }
        let ids = chosen.runs.map(\.id)
        guard !ids.isEmpty else { return try each.finish() }
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        while true {
            let remaining = deadline.map { max(0, $0.timeIntervalSinceNow) } ?? 25
            let answer = try await connection.wait(ids: ids, any: any, timeout: min(remaining, 25))
            if answer.done {
                // Wait-Job -Any returns the job that finished, not all it waited for.
                let shown = any ? answer.runs.filter(\.state.isFinished) : answer.runs
                if client.json { try Terminal.printJSON(shown) } else { Terminal.write(Terminal.runTable(shown)) }
                return try each.finish()
            }
            if let deadline, deadline.timeIntervalSinceNow <= 0 {
                if client.json { try Terminal.printJSON(answer.runs) }
                Terminal.error("timed out after \(timeout!) s waiting for run \(ids.map(String.init).joined(separator: ", "))")
                throw ExitCode(124)
            }
        }
    }
}

/// `errand stop` (Stop-Job).
struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop runs: SIGTERM to the whole process group, SIGKILL after the grace (Stop-Job).",
        discussion: """
            Each run is stopped in turn; one that cannot be (an unknown id or name) is reported and the others are             still stopped (exit 1 at the end).
            Examples: errand stop 12 13; errand stop --name 'crawl-*'; errand stop --state Running --name 'test-*'
            """)

    @OptionGroup var client: ClientOptions
    @OptionGroup var targets: RunTargets

    @Option(help: ArgumentHelp("Seconds between SIGTERM and SIGKILL (default 10).", valueName: "SECONDS"))
    var grace: Double?

    func validate() throws {
        if let grace { try FlagBounds.seconds(grace, flag: "--grace", max: InputBounds.maxGraceSeconds) }
    }

    func run() async throws {
        let connection = try await client.connect()
        var each = EachTarget()
        let chosen = try await targets.resolve(connection)
        for problem in chosen.problems { each.report(problem) }
        var stopped: [Run] = []
        for run in chosen.runs {
            await each.attempt { stopped.append(try await connection.stop(id: run.id, grace: grace)) }
        }
        if client.json { try Terminal.printJSON(stopped) } else if !stopped.isEmpty { Terminal.write(Terminal.runTable(stopped)) }
        try each.finish()
    }
}

/// `errand remove` (Remove-Job).
struct RemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Delete finished runs and their output (Remove-Job).",
        discussion: """
            Each run is removed in turn; one that cannot be (unknown, unfinished without --force, a fan-out's             child) is reported and the others are still removed (exit 1 at the end).
            Examples: errand remove 12 13; errand remove --state Completed; errand remove --name 'test-*' --force
            """)

    @OptionGroup var client: ClientOptions
    @OptionGroup var targets: RunTargets

    @Flag(help: "Stop unfinished runs first instead of refusing.")
    var force = false

    func run() async throws {
        let connection = try await client.connect()
        var each = EachTarget()
        let chosen = try await targets.resolve(connection)
        for problem in chosen.problems { each.report(problem) }
        var removed: [Int64] = []
        for run in chosen.runs {
            await each.attempt {
                try await connection.remove(id: run.id, force: force)
                removed.append(run.id)
            }
        }
        if client.json { try Terminal.printJSON(["removed": removed]) }
        try each.finish()
    }
}

/// `errand logs`: the whole output, never consuming.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print a run's whole output, stdout and stderr in order (never consumes).")

    @OptionGroup var client: ClientOptions

    @Argument(help: "Run id.")
    var id: Int64

    @Flag(name: [.short, .long], help: "Keep printing new output until the run finishes.")
    var follow = false

    @Flag(help: "Prefix each line with the time it was captured.")
    var timestamps = false

    func run() async throws {
        let connection = try await client.connect()
        guard client.json else {
            try await connection.log(id: id, follow: follow, timestamps: timestamps) { buffer in
                Terminal.writeBytes(buffer.readableBytesView, to: .output)
            }
            return
        }
        var after: Int64 = 0
        while true {
            let page = try await connection.output(id: id, after: after, wait: follow ? 25 : 0)
            Terminal.printLines(page.records)
            after = page.next
            if page.records.isEmpty && (!follow || page.run.state.isFinished) { return }
        }
    }
}

/// `errand version`.
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the client's and the daemon's versions.")

    @OptionGroup var client: ClientOptions

    func run() async throws {
        var options = client
        options.noAutostart = true
        let connection = try await options.connect()
        let daemon = try? await connection.health()
        if client.json {
            struct Versions: Encodable {
                var client: String
                var daemon: String?
                var instance: String?
                var store: String?
                var url: String
            }
            try Terminal.printJSON(
                Versions(
                    client: ErrandVersion.current, daemon: daemon?.version, instance: daemon?.instance, store: daemon?.store,
                    url: connection.baseURL))
        } else {
            Terminal.write("client  errand \(ErrandVersion.current)\n")
            if let daemon {
                Terminal.write(
                    "daemon  errand \(daemon.version) at \(connection.baseURL) (instance \(daemon.instance)\(daemon.store.map { ", store \($0)" } ?? ""))\n"
                )
            }
        }
        if daemon == nil { throw ErrandError(.unreachable, "no daemon answers at \(connection.baseURL)") }
    }
}
