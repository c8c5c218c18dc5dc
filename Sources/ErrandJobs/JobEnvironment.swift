import ErrandCore

/// The variables a deployed job's run gets on top of the daemon's environment and the job's `env`
/// setting: Errand's names and, with the same values, the `WEBJOBS_*` names Kudu gives (kudu.md §3).
/// `ERRAND_RUN_ID` and `WEBJOBS_RUN_ID` are added by the coordinator once the run has its id.
public struct JobEnvironment: Sendable, Hashable {
    public var job: String
    public var kind: JobKind
    /// The run's working directory (the package folder, or a fresh copy of it).
    public var workingDirectory: String
    /// A folder kept across runs and deploys for the job's own files.
    public var dataPath: String
    /// Created when the run must stop; the job may watch for it to shut down cleanly.
    public var shutdownFile: String
    public var arguments: [String]
    /// The arguments as the client wrote them (Kudu's `?arguments=` string), for `WEBJOBS_COMMAND_ARGUMENTS`;
    /// nil: `arguments` quoted for a shell.
    public var argumentText: String?

    public init(
        job: String, kind: JobKind, workingDirectory: String, dataPath: String, shutdownFile: String, arguments: [String],
        argumentText: String? = nil
    ) {
        self.job = job
        self.kind = kind
        self.workingDirectory = workingDirectory
        self.dataPath = dataPath
        self.shutdownFile = shutdownFile
        self.arguments = arguments
        self.argumentText = argumentText
    }

    /// `base` (the daemon's environment), then `settings` (the job's `env`), then the job's variables.
    public func variables(base: [String: String], settings: [String: String]) -> [String: String] {
        var result = base
        result.merge(settings) { _, new in new }
        let quoted = ShellWords.display(arguments)
        let own: [String: String] = [
            "ERRAND_JOB_NAME": job,
            "ERRAND_JOB_KIND": kind.name,
            "ERRAND_DATA_PATH": dataPath,
            "ERRAND_SHUTDOWN_FILE": shutdownFile,
            "ERRAND_ARGUMENTS": quoted,
            "WEBJOBS_NAME": job,
            "WEBJOBS_TYPE": kind.kuduType ?? kind.name,
            "WEBJOBS_PATH": workingDirectory,
            "WEBJOBS_DATA_PATH": dataPath,
            "WEBJOBS_SHUTDOWN_FILE": shutdownFile,
            "WEBJOBS_COMMAND_ARGUMENTS": argumentText ?? quoted,
            (kind == .continuous ? "WEBSITE_ALWAYS_ON_JOB_RUNNING_" : "WEBSITE_TRIGGERED_JOB_RUNNING_") + job: "true",
        ]
        result.merge(own) { _, new in new }
        return result
    }
}
