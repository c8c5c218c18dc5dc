/// What a fan-out needs of another Errand daemon's API: start a run there, follow it, stop it, remove it.
///
/// The host (ErrandRemote's `DaemonLauncher`) depends on this protocol, not on the HTTP client, so imports run
/// one way; `ErrandClient` satisfies it, and the composition root (ErrandDaemon) hands the host a
/// ``RemoteDaemonConnector`` that makes clients.
public protocol RemoteDaemon: Sendable {
    /// Starts a run there and answers once it exists (or is queued).
    func start(_ request: RunRequest) async throws -> Run
    /// Stops the run with `grace` seconds between SIGTERM and SIGKILL (nil: that daemon's default).
    func stop(id: Int64, grace: Double?) async throws -> Run
    /// Removes the run and its output there.
    func remove(id: Int64, force: Bool) async throws
    /// One long poll of at most `timeout` seconds for the runs to finish.
    func wait(ids: [Int64], any: Bool, timeout: Double) async throws -> WaitBody
    /// Output records after `after`, waiting up to `wait` seconds for some; at most `limit` of them.
    func output(id: Int64, after: Int64, wait: Double, limit: Int?) async throws -> OutputPageBody
}

/// Makes the ``RemoteDaemon`` at a URL, with the token and the PEM certificates to trust that a fan-out host names.
public typealias RemoteDaemonConnector = @Sendable (_ url: String, _ token: String?, _ caCertificates: String?) -> any RemoteDaemon
