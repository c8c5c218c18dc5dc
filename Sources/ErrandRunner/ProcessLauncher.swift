import ErrandCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What to launch: a resolved executable, its argv, environment and working directory. Launchers
/// that run elsewhere take `argv0` and `arguments` as they are and resolve the program there.
public struct LaunchSpec: Sendable, Equatable {
    /// Absolute path of the program (for a local launch).
    public var executablePath: String
    /// The arguments after argv[0].
    public var arguments: [String]
    /// argv[0] as the program sees it (the name the user typed).
    public var argv0: String
    public var environment: [String: String]
    public var workingDirectory: String?
    /// The user to launch it as; nil: the daemon's own.
    public var account: UserAccount?
    /// Whether processes the run leaves behind are stopped with it.
    public var killMode: KillMode

    public init(
        executablePath: String, arguments: [String], argv0: String? = nil, environment: [String: String],
        workingDirectory: String?, account: UserAccount? = nil, killMode: KillMode = .controlGroup
    ) {
        self.account = account
        self.killMode = killMode
        self.executablePath = executablePath
        self.arguments = arguments
        self.argv0 = argv0 ?? executablePath
        self.environment = environment
        self.workingDirectory = workingDirectory
    }
}

/// The seam between the daemon and the way work is run: a local child process
/// (``SubprocessLauncher``), a run on another Errand daemon, a command over SSH.
public protocol ProcessLauncher: Sendable {
    /// Launches `spec`, calls `started` once with a handle to stop it, passes every read of
    /// stdout/stderr to `output` (awaited: a slow consumer slows the reader, which bounds memory),
    /// and returns how the work ended once it has exited and its output is all read. Throws
    /// ``LaunchError`` when it could not be started, or ended in a way no exit status tells.
    func run(
        _ spec: LaunchSpec,
        started: @Sendable (any LaunchedWork) async -> Void,
        output: @escaping @Sendable (OutputChannel, [UInt8]) async -> Void
    ) async throws(LaunchError) -> ExitStatus
}

/// What the coordinator holds of launched work: how to stop it, and what to clean up after a crash.
public protocol LaunchedWork: Sendable {
    /// The local process group to record with the run, so that a daemon restarted after a crash can
    /// kill what is left of it; nil when nothing runs on this machine.
    var localGroup: ProcessGroup? { get }
    /// Asks the work to end: SIGTERM to a process group, a stop request to another daemon (which
    /// gets `grace` before its own SIGKILL).
    func terminate(grace: Duration) async
    /// Ends the work without more grace (SIGKILL).
    func forceKill() async
}

/// The process group of a launched run; every signal goes to the whole group, so children
/// started by the run's shell go too (unless the run's kill mode is `process`).
public struct ProcessGroup: Sendable, Hashable, LaunchedWork {
    public let id: Int32
    /// Signals go to the leader alone (`kill_mode: process`): what it started is left running.
    public var leaderOnly: Bool

    public init(id: Int32, leaderOnly: Bool = false) {
        self.id = id
        self.leaderOnly = leaderOnly
    }

    public var localGroup: ProcessGroup? { self }
    public func terminate(grace: Duration) async { send(SIGTERM) }
    public func forceKill() async { send(SIGKILL) }
}

/// The process could not be started (missing program, bad working directory…).
public struct LaunchError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
