import ArgumentParser
import ErrandClient
import ErrandCore
import ErrandJobs
import Foundation

/// `errand session …`: named sessions kept by the daemon (New-/Get-/Disconnect-/Connect-/Remove-PSSession).
struct SessionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session",
        abstract: "Named sessions: your own receive cursors and job list, kept by the daemon (PSSession).",
        discussion: """
            A session lives in the daemon, not in your terminal. Start runs in it with `errand start \
            --session NAME` (or ERRAND_SESSION=NAME), list them with `errand get --session NAME`, receive \
            with `errand receive --session NAME ID`: each session has its own cursor, so two sessions \
            receiving one run both get all of its output. Disconnect, close the terminal, connect again \
            from any other one: the runs went on and their output waits. A disconnected session expires \
            after its idle timeout (default 2h); its runs go on unless it was made with --stop-on-expire.

            Examples:
              errand session new deploys --idle-timeout 8h
              ERRAND_SESSION=deploys errand start -- ./deploy.sh
              errand session disconnect deploys
              errand session connect deploys        # from another terminal, later
              errand receive --session deploys 12

            See docs/sessions.md.
            """,
        subcommands: [
            SessionNewCommand.self, SessionListCommand.self, SessionConnectCommand.self, SessionDisconnectCommand.self,
            SessionRemoveCommand.self,
        ])

    /// A duration as `--idle-timeout` takes it: seconds, or with units (`90s`, `30m`, `2h`, `1d`).
    static func parseIdleTimeout(_ text: String, option: String = "--idle-timeout") throws -> Double {
        guard let duration = DurationText.parse(text) else {
            throw ErrandError.badRequest("\(option) wants a duration like 90s, 30m, 2h or 1d, got '\(text)'")
        }
        let seconds = duration.seconds
        do {
            try Sessions.validateIdleTimeout(seconds)
        } catch {
            throw ErrandError.badRequest("\(option): \(error.message)")
        }
        return seconds
    }

    static func table(_ views: [SessionView]) -> String {
        Terminal.table(
            header: ["Name", "State", "Runs", "Waiting", "IdleTimeout", "StopOnExpire", "Expires"],
            rows: views.map { view in
                [
                    view.session.name, view.session.state.rawValue, String(view.runs.count), String(view.waiting.count),
                    JobText.seconds(view.session.idleTimeout), view.session.stopOnExpire ? "yes" : "no",
                    view.expiresAt.map { JobText.time($0) } ?? "-",
                ]
            })
    }
}

/// The session a verb uses: `--session`, else `ERRAND_SESSION`, else none.
struct SessionOption: ParsableArguments {
    @Option(help: ArgumentHelp("Use this session (default: $ERRAND_SESSION).", valueName: "NAME"))
    var session: String?

    var resolved: String? {
        session ?? ProcessInfo.processInfo.environment["ERRAND_SESSION"].flatMap { $0.isEmpty ? nil : $0 }
    }
}

struct SessionNewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new", abstract: "Create a session (New-PSSession).",
        discussion: "Example: errand session new nightly --idle-timeout 30m --stop-on-expire")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The session's name (letters, digits, '_' and '-').")
    var name: String

    @Option(
        help: ArgumentHelp(
            "How long the session is kept once disconnected (90s, 30m, 2h, 1d; default: the daemon's, 2h).",
            valueName: "DURATION"))
    var idleTimeout: String?

    @Flag(help: "When the session expires, stop its unfinished runs (by default they go on).")
    var stopOnExpire = false

    func run() async throws {
        let seconds = try idleTimeout.map { try SessionCommand.parseIdleTimeout($0) }
        let view = try await client.connect().createSession(
            SessionRequest(name: name, idleTimeout: seconds, stopOnExpire: stopOnExpire))
        if client.json { try Terminal.printJSON(view) } else { Terminal.write(SessionCommand.table([view])) }
    }
}

struct SessionListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List sessions with their state and waiting runs (Get-PSSession).")

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let views = try await client.connect().sessions()
        if client.json { try Terminal.printJSON(views) } else if !views.isEmpty { Terminal.write(SessionCommand.table(views)) }
    }
}

struct SessionConnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect", abstract: "Connect to a session from this client and show its runs (Connect-PSSession).",
        discussion: """
            Works from any client and any terminal. Runs marked HasMoreData have output waiting: \
            get it with `errand receive --session NAME ID`.
            Example: errand session connect deploys
            """)

    @OptionGroup var client: ClientOptions

    @Argument(help: "The session's name.")
    var name: String

    func run() async throws {
        let connection = try await client.connect()
        let view = try await connection.connectSession(name)
        let runs = try await connection.runs([("session", name)])
        if client.json {
            struct Connected: Encodable { var session: SessionView; var runs: [Run] }
            try Terminal.printJSON(Connected(session: view, runs: runs))
            return
        }
        Terminal.write(SessionCommand.table([view]))
        if !runs.isEmpty { Terminal.write("\n" + Terminal.runTable(runs)) }
    }
}

struct SessionDisconnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disconnect", abstract: "Disconnect a session; its runs go on (Disconnect-PSSession).",
        discussion: """
            Output keeps being stored while disconnected; nothing is lost or blocked. The session expires \
            after its idle timeout unless some client connects to it first.
            Example: errand session disconnect deploys
            """)

    @OptionGroup var client: ClientOptions

    @Argument(help: "The session's name.")
    var name: String

    func run() async throws {
        let view = try await client.connect().disconnectSession(name)
        if client.json { try Terminal.printJSON(view) } else { Terminal.write(SessionCommand.table([view])) }
    }
}

struct SessionRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Delete a session and its cursors; its runs go on (Remove-PSSession).",
        discussion: "Example: errand session remove deploys --stop-runs")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The session's name.")
    var name: String

    @Flag(help: "Stop the session's unfinished runs first.")
    var stopRuns = false

    func run() async throws {
        try await client.connect().removeSession(name, stopRuns: stopRuns)
        if client.json { try Terminal.printJSON(["removed": name]) }
    }
}
