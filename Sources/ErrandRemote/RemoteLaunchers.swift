import ErrandCore
import ErrandRunner

/// Chooses how a fan-out child reaches its host: another daemon's API, or the system's ssh.
public struct RemoteLaunchers: Sendable {
    public var ssh: SSHCommandLine
    /// Runs the local `ssh` processes.
    let local: any ProcessLauncher
    /// Reaches other daemons' APIs (the HTTP client, given by the composition root); nil: daemon hosts fail.
    let daemons: RemoteDaemonConnector?

    public init(
        ssh: SSHCommandLine = SSHCommandLine(), local: any ProcessLauncher = SubprocessLauncher(), daemons: RemoteDaemonConnector? = nil
    ) {
        self.ssh = ssh
        self.local = local
        self.daemons = daemons
    }

    /// The launcher of a child on `host`; `keepRemote` leaves a daemon host's output there; `watch` says how a
    /// daemon host that stops answering is waited for (an SSH host's session cannot outlive its connection).
    public func launcher(
        for host: FanOutHost, keepRemote: Bool, watch: ConnectionWatch = ConnectionWatch()
    ) throws(ErrandError) -> any ProcessLauncher {
        switch try host.address() {
        case .daemon(let url):
            guard let daemons else { throw ErrandError.badRequest("this daemon has no API client to reach \(host.name) with") }
            return DaemonLauncher(host: host, url: url, keepRemote: keepRemote, connect: daemons, watch: watch)
        case .ssh(let destination): return SSHLauncher(destination: destination, commandLine: ssh, local: local)
        }
    }
}
