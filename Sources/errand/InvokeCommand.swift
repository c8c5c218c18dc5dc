import ArgumentParser
import ErrandClient
import ErrandCore
import Foundation

/// `errand invoke --on A,B -- COMMAND` (Invoke-Command -AsJob).
struct InvokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoke",
        abstract: "Run a command on several hosts as one background run (Invoke-Command -AsJob).",
        discussion: """
            The daemon you talk to (--host, default the local one) creates a parent run of type RemoteJob \
            and one child run per host, and runs each child on its host: another Errand daemon (a name \
            from `errand host list`, whose token and CA file are sent along, or an http(s):// URL) or, \
            without a daemon there, any SSH server (ssh://[user@]host[:port], through the daemon's own \
            ssh client in BatchMode, host keys checked as its ssh config says). The output comes back to \
            the daemon and is kept there, each line labelled with its host, so `errand receive`, `logs` \
            and `wait` on the parent work after this command has returned. The parent ends Failed if any \
            child failed (an unreachable host fails its child only), Stopped if you stopped it, else \
            Completed. `errand stop PARENT` stops every child; `errand get --parent PARENT` lists them.
            Examples:
              errand invoke --on web1,web2 -- uptime
              errand invoke --on web1,ssh://deploy@db1:2222 --name patch -- apt-get -y upgrade
              errand receive --wait 12
            """)

    @OptionGroup var client: ClientOptions

    @Option(
        name: .customLong("on"),
        help: ArgumentHelp(
            "Where to run it: host names from `errand host list`, http(s):// daemon URLs or ssh://[user@]host[:port], comma-separated (repeatable).",
            valueName: "HOST[,HOST…]"))
    var hosts: [String] = []

    @Option(help: "At most this many hosts are reached and run at once (default 32).")
    var throttleLimit: Int?

    @Option(help: "Name of the parent run (default: Job<Id>).")
    var name: String?

    @Flag(help: "Leave each daemon host's output on that host; the parent only follows the children's states.")
    var keepRemote = false

    @Option(
        help: ArgumentHelp(
            "How long a child whose daemon host stops answering stays Disconnected (its run going on there) before it fails (default 600).",
            valueName: "SECONDS"))
    var disconnectedTimeout: Double?

    @Flag(help: "Print the output as it comes and return when every host has finished (exit 1 unless Completed).")
    var wait = false

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command and its arguments, after `--`.", valueName: "COMMAND"))
    var command: [String] = []

    func validate() throws {
        if hosts.flatMap({ $0.split(separator: ",") }).isEmpty {
            throw ValidationError("say where to run it: --on HOST[,HOST…]")
        }
        if let throttleLimit { try FlagBounds.count(throttleLimit, flag: "--throttle-limit") }
        if let disconnectedTimeout {
            try FlagBounds.seconds(disconnectedTimeout, flag: "--disconnected-timeout", max: InputBounds.maxTimeoutSeconds)
        }
    }

    func run() async throws {
        guard !command.isEmpty, !command[0].isEmpty else {
            throw ErrandError.badRequest("the command is empty: give the program to run after `--`, e.g. errand invoke --on web1 -- uptime")
        }
        let words = hosts.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
        let book = try HostBook.load(path: HostBook.defaultPath())
        let targets = try words.map { word in
            try book.fanOutHost(word, readFile: { try String(contentsOfFile: $0, encoding: .utf8) })
        }
        let request = InvokeRequest(
            argv: command, on: targets, name: name, throttleLimit: throttleLimit, keepRemote: keepRemote ? true : nil,
            disconnectedTimeout: disconnectedTimeout)
        let connection = try await client.connect()
        if targets.contains(where: { $0.token != nil }) && !Self.isPrivateChannel(connection.baseURL) {
            throw ErrandError.badRequest(
                "the hosts' tokens would travel to \(connection.baseURL) in clear text: talk to that daemon over https (or run invoke on it locally)"
            )
        }
        let parent = try await connection.invoke(request)
        guard wait else {
            if client.json { try Terminal.printJSON(parent) } else { Terminal.write(Terminal.runTable([parent])) }
            return
        }
        let ended = try await ReceiveCommand.stream(connection, id: parent.id, keep: false, wait: true, json: client.json)
        if ended.state != .completed {
            throw ErrandError(.conflict, "run \(parent.id) ended \(ended.state.rawValue)\(ended.reason.map { ": \($0)" } ?? "")")
        }
    }

    /// True for https, and for plain http that never leaves this machine.
    static func isPrivateChannel(_ url: String) -> Bool {
        guard let components = URLComponents(string: url) else { return false }
        if components.scheme?.lowercased() == "https" { return true }
        return ["127.0.0.1", "localhost", "::1", "[::1]"].contains(components.host?.lowercased() ?? "")
    }
}
