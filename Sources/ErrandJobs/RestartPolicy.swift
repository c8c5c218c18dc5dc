/// When a continuous job's process is started again after it exits.
///
/// Kudu restarts on any exit (kudu.md §1.3); `on-failure` lets a job finish for good by exiting 0, and `never`
/// makes a continuous job a supervised one-shot.
public enum RestartPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// After every exit, with backoff. The default (Kudu's behaviour).
    case always
    /// Only after a non-zero exit or a signal.
    case onFailure = "on-failure"
    /// Never: the job stays stopped once its process exits.
    case never
}
