/// How a run executes, in PowerShell's words.
public enum RunType: String, Codable, Sendable, CaseIterable {
    /// A child process of the daemon.
    case backgroundJob = "BackgroundJob"
    /// Work inside the daemon, without a process.
    case threadJob = "ThreadJob"
    /// Work on another host.
    case remoteJob = "RemoteJob"
}
