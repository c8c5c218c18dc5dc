import ErrandCore

/// What to launch: a resolved executable, its argv, environment and working directory.
public struct LaunchSpec: Sendable, Equatable {
    /// Absolute path of the program.
    public var executablePath: String
    /// The arguments after argv[0].
    public var arguments: [String]
    /// argv[0] as the program sees it (the name the user typed).
    public var argv0: String
    public var environment: [String: String]
    public var workingDirectory: String?

    public init(
        executablePath: String, arguments: [String], argv0: String? = nil, environment: [String: String],
        workingDirectory: String?
    ) {
        self.executablePath = executablePath
        self.arguments = arguments
        self.argv0 = argv0 ?? executablePath
        self.environment = environment
        self.workingDirectory = workingDirectory
    }
}

/// The seam between the daemon and the way processes are run: a local child process today;
/// a per-run supervisor, an SSH session or a remote daemon are other implementations.
public protocol ProcessLauncher: Sendable {
    /// Launches `spec` in a new session (its own process group), calls `started` once with that
    /// group, passes every read of stdout/stderr to `output` (awaited: a slow consumer slows the
    /// reader, which bounds memory), and returns how the process ended once it has exited and
    /// both pipes are closed. Throws ``LaunchError`` when the process could not be started.
    func run(
        _ spec: LaunchSpec,
        started: @Sendable (ProcessGroup) async -> Void,
        output: @escaping @Sendable (OutputChannel, [UInt8]) async -> Void
    ) async throws(LaunchError) -> ExitStatus
}

/// The process group of a launched run; every signal goes to the whole group, so children
/// started by the run's shell go too.
public struct ProcessGroup: Sendable, Hashable {
    public let id: Int32

    public init(id: Int32) { self.id = id }
}

/// The process could not be started (missing program, bad working directory…).
public struct LaunchError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
