import ErrandCore
import ErrandRunner

/// Chooses how a fan-out child reaches its host: another daemon's API, or the system's ssh.
public struct RemoteLaunchers: Sendable {
    public var ssh: SSHCommandLine
    /// Runs the local `ssh` processes.
    let local: any ProcessLauncher

    public init(ssh: SSHCommandLine = SSHCommandLine(), local: any ProcessLauncher = SubprocessLauncher()) {
        self.ssh = ssh
        self.local = local
    }

    /// The launcher of a child on `host`; `keepRemote` leaves a daemon host's output there.
    public func launcher(for host: FanOutHost, keepRemote: Bool) throws(ErrandError) -> any ProcessLauncher {
        switch try host.address() {
        case .daemon(let url): DaemonLauncher(host: host, url: url, keepRemote: keepRemote)
        case .ssh(let destination): SSHLauncher(destination: destination, commandLine: ssh, local: local)
        }
    }
}
