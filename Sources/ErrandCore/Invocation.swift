import Foundation

/// What a client asks for with `errand invoke --on A,B -- COMMAND` (`POST /api/v1/invocations`):
/// one parent run in the daemon asked, with one child run per host (PowerShell's `Invoke-Command -AsJob`).
public struct InvokeRequest: Codable, Sendable, Equatable {
    /// The program and its arguments, run as they are on every host.
    public var argv: [String]
    /// Where it runs. The client resolves host names to addresses and credentials before sending.
    public var on: [FanOutHost]
    /// The parent's name (children get their own `Job<Id>` names).
    public var name: String?
    /// At most this many children connect and run at once (PowerShell's `-ThrottleLimit`, default 32).
    public var throttleLimit: Int?
    /// Leave each child's output on its host; the parent only follows the children's states.
    public var keepRemote: Bool?
    /// Seconds a child whose daemon host stopped answering stays `Disconnected` (its run going on there) before
    /// it is given up `Failed` (default 600, at most ``InputBounds/maxTimeoutSeconds``; 0 gives up at once).
    public var disconnectedTimeout: Double?

    public static let defaultThrottleLimit = 32
    /// Ten minutes, as the issue asked; PowerShell's own reconnection window is four minutes.
    public static let defaultDisconnectedTimeout: Double = 600
    /// More hosts than this in one invocation is refused (a typo in a generated list, not a fleet).
    public static let maxHosts = 10_000

    public init(
        argv: [String], on: [FanOutHost], name: String? = nil, throttleLimit: Int? = nil, keepRemote: Bool? = nil,
        disconnectedTimeout: Double? = nil
    ) {
        self.disconnectedTimeout = disconnectedTimeout
        self.argv = argv
        self.on = on
        self.name = name
        self.throttleLimit = throttleLimit
        self.keepRemote = keepRemote
    }

    /// Checks the request without touching the network: a command, valid hosts, each named once.
    public func validated() throws(ErrandError) -> InvokeRequest {
        guard let executable = argv.first, !executable.isEmpty else {
            throw .badRequest("the command is empty: give the program to run after `--`, e.g. `errand invoke --on web1 -- uptime`")
        }
        if argv.contains(where: { $0.contains("\0") }) { throw .badRequest("arguments cannot contain NUL bytes") }
        if let name { try Names.validate(name, what: "run name") }
        guard !on.isEmpty else {
            throw .badRequest("say where to run it: --on HOST[,HOST…] (names from `errand host list`, URLs or ssh://user@host)")
        }
        guard on.count <= Self.maxHosts else { throw .badRequest("at most \(Self.maxHosts) hosts per invocation, got \(on.count)") }
        if let throttleLimit { _ = try InputBounds.count(throttleLimit, field: "throttleLimit", min: 1) }
        if let disconnectedTimeout {
            _ = try InputBounds.seconds(disconnectedTimeout, field: "disconnectedTimeout", max: InputBounds.maxTimeoutSeconds)
        }
        var seen = Set<String>()
        for host in on {
            _ = try host.address()
            guard seen.insert(host.name).inserted else { throw .badRequest("host '\(host.name)' is named twice in --on") }
        }
        return self
    }
}

/// One place a fan-out runs, as the daemon needs it: its label, its address and credentials.
public struct FanOutHost: Codable, Sendable, Equatable {
    /// The label of the child run and of its output lines: the host's name, or the URL as typed.
    public var name: String
    /// `http(s)://…` of another Errand daemon, or `ssh://[user@]host[:port]`.
    public var url: String
    /// The API token for a daemon host (never stored by the daemon that fans out).
    public var token: String?
    /// PEM certificates to trust for an https daemon with its own certificate.
    public var caCertificates: String?

    public init(name: String, url: String, token: String? = nil, caCertificates: String? = nil) {
        self.name = name
        self.url = url
        self.token = token
        self.caCertificates = caCertificates
    }

    /// Where the child runs, parsed.
    public func address() throws(ErrandError) -> FanOutAddress {
        guard !name.isEmpty, !name.contains(","), name.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else {
            throw .badRequest("invalid host label '\(name)': no spaces, commas or control characters")
        }
        if let token, token.isEmpty || !token.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) {
            throw .badRequest("host '\(name)': the token must be printable ASCII without spaces")
        }
        if url.lowercased().hasPrefix("ssh://") { return .ssh(try SSHDestination(url: url)) }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw .badRequest("host '\(name)': '\(url)' is not an http(s):// daemon URL or an ssh://user@host address")
        }
        guard components.user == nil && components.password == nil else {
            throw .badRequest("host '\(name)': put no user or password in the URL (it would show as the label); give a token")
        }
        return .daemon(url: url)
    }
}

/// How a fan-out child reaches its host.
public enum FanOutAddress: Sendable, Equatable {
    /// Another Errand daemon, through its API.
    case daemon(url: String)
    /// Any host with an SSH server, through the system's `ssh` client.
    case ssh(SSHDestination)
}

/// `ssh://[user@]host[:port]`, checked so that nothing in it can read as an option of `ssh`.
public struct SSHDestination: Sendable, Equatable, CustomStringConvertible {
    public var user: String?
    public var host: String
    public var port: Int?

    public init(url: String) throws(ErrandError) {
        let invalid = ErrandError.badRequest(
            "'\(url)' is not an SSH address: write ssh://[user@]host[:port], e.g. ssh://deploy@web1:2222")
        guard url.lowercased().hasPrefix("ssh://") else { throw invalid }
        var rest = Substring(url.dropFirst("ssh://".count))
        if rest.hasSuffix("/") { rest.removeLast() }
        if let at = rest.lastIndex(of: "@") {
            user = String(rest[..<at])
            rest = rest[rest.index(after: at)...]
        }
        if rest.hasPrefix("[") {  // [IPv6]:port
            guard let close = rest.firstIndex(of: "]") else { throw invalid }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...]
            if rest.hasPrefix(":") { port = Int(rest.dropFirst()) ?? -1 } else if !rest.isEmpty { throw invalid }
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            port = Int(rest[rest.index(after: colon)...]) ?? -1
        } else {
            host = String(rest)
        }
        let safe: (String) -> Bool = { text in
            !text.isEmpty && !text.hasPrefix("-")
                && text.unicodeScalars.allSatisfy {
                    CharacterSet.alphanumerics.contains($0) && $0.isASCII || "._-:%".unicodeScalars.contains($0)
                }
        }
        guard safe(host), user.map(safe) ?? true else { throw invalid }
        if let port, !(1...65_535).contains(port) { throw invalid }
    }

    public var description: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "ssh://" + (user.map { $0 + "@" } ?? "") + hostPart + (port.map { ":\($0)" } ?? "")
    }
}

/// PowerShell's states of a remoting parent job (powershell.md §1.5, `PSRemotingJob`).
///
/// Once every child has finished: `Failed` if any child failed, else `Stopped` if the parent was asked to stop,
/// else `Completed` (so a child stopped on its own leaves the parent `Completed`, as in PowerShell). A child
/// still unfinished (only when the daemon is torn down without a graceful stop) counts as failed.
///
/// Until then the parent is `Running` (`Stopping` once asked to stop), or `Disconnected` while every child
/// not finished is `Disconnected` (PowerShell's rule: disconnected + finished children = all children);
/// Errand's children are never `Blocked`, so that part of PowerShell's rule does not arise.
public enum FanOutState {
    public static func final(children: [RunState], stopRequested: Bool) -> RunState {
        if children.contains(where: { $0 == .failed || !$0.isFinished }) { return .failed }
        return stopRequested ? .stopped : .completed
    }

    /// The state of an unfinished, unstopped parent: `Disconnected` when at least one child is and every
    /// other one has finished; else `Running`.
    public static func connection(children: [RunState]) -> RunState {
        let unfinished = children.filter { !$0.isFinished }
        return !unfinished.isEmpty && unfinished.allSatisfy { $0 == .disconnected } ? .disconnected : .running
    }
}
