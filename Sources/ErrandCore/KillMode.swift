/// Which processes of a run Errand signals when it stops the run and when the run's main process
/// exits, in systemd's words (`KillMode=`); a job's `kill_mode` setting.
public enum KillMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// The whole process group, to the end: a stop signals every process of the run, and what is left
    /// when the main process exits is stopped after the drain period. The default.
    case controlGroup = "control-group"
    /// The main process only: a stop signals it alone, and processes it left behind keep running (a job
    /// that starts a daemon of its own on purpose).
    case process
}
