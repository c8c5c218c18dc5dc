import ErrandCore
import ErrandRunner
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a fan-out child on a host without a daemon, through the system's `ssh` client (agentless):
/// the local `ssh` process is the child's process, its output is the remote command's, its exit
/// status the remote command's. Exit 255 before the command started is ssh's own failure.
struct SSHLauncher: ProcessLauncher {
    let destination: SSHDestination
    let commandLine: SSHCommandLine
    let local: any ProcessLauncher

    func run(
        _ spec: LaunchSpec,
        started: @Sendable (any LaunchedWork) async -> Void,
        output: @escaping @Sendable (OutputChannel, [UInt8]) async -> Void
    ) async throws(LaunchError) -> ExitStatus {
        var environment = ProcessInfo.processInfo.environment
        // The local ssh carries the run's id too, so a daemon restarted after a crash recognises it as a leftover.
        if let id = spec.environment["ERRAND_RUN_ID"] { environment["ERRAND_RUN_ID"] = id }
        guard let ssh = ExecutableLookup.resolve("ssh", path: environment["PATH"], workingDirectory: nil) else {
            throw LaunchError("cannot reach \(destination): no ssh client in the daemon's PATH (install openssh-client)")
        }
        let remoteCommand = SSHCommandLine.remoteCommand(argv: [spec.argv0] + spec.arguments, environment: spec.environment)
        let launch = LaunchSpec(
            executablePath: ssh, arguments: commandLine.arguments(to: destination, running: remoteCommand), argv0: "ssh",
            environment: environment, workingDirectory: nil)
        let marker = SharedMarkerFilter()
        let (destination, commandLine, local) = (destination, commandLine, local)
        let status = try await local.run(
            launch,
            started: { work in
                await started(
                    SSHSession(
                        client: work.localGroup, marker: marker, destination: destination, commandLine: commandLine,
                        ssh: ssh, launcher: local))
            },
            output: { channel, bytes in
                let passed = marker.state.withLock { $0.filter(channel, bytes) }
                if !passed.isEmpty { await output(channel, passed) }
            })
        let (rest, group, diagnostic) = marker.state.withLock { ($0.remainder(), $0.remoteGroup, $0.lastDiagnostic) }
        if !rest.isEmpty { await output(.error, rest) }
        if group == nil, status == .exited(255) {
            throw LaunchError("ssh could not run the command on \(destination): \(diagnostic ?? "ssh exited with status 255")")
        }
        return status
    }
}

/// A command running over SSH. Stopping signals the remote process group through the shared
/// connection; the local client then ends by itself. Before the remote command has started there
/// is nothing remote to signal, so the local client is stopped instead.
struct SSHSession: LaunchedWork {
    let client: ProcessGroup?
    let marker: SharedMarkerFilter
    let destination: SSHDestination
    let commandLine: SSHCommandLine
    let ssh: String
    let launcher: any ProcessLauncher

    var localGroup: ProcessGroup? { client }

    func terminate(grace: Duration) async {
        guard let group = marker.state.withLock({ $0.remoteGroup }) else {
            client?.send(SIGTERM)
            return
        }
        await signalRemote(group: group, signal: "TERM")
    }

    func forceKill() async {
        if let group = marker.state.withLock({ $0.remoteGroup }) { await signalRemote(group: group, signal: "KILL") }
        // The client only: a connection-sharing master it started runs in a session of its own.
        if let client, client.id > 1 { _ = Glibc.kill(client.id, SIGKILL) }
    }

    private func signalRemote(group: Int32, signal: String) async {
        let spec = LaunchSpec(
            executablePath: ssh,
            arguments: commandLine.arguments(to: destination, running: SSHCommandLine.killCommand(group: group, signal: signal)),
            argv0: "ssh", environment: ProcessInfo.processInfo.environment, workingDirectory: nil)
        let launcher = launcher
        // Bounded: a stop must not hang on a host that stopped answering.
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { _ = try? await launcher.run(spec, started: { _ in }, output: { _, _ in }) }
            tasks.addTask { try? await Task.sleep(for: .seconds(10)) }
            await tasks.next()
            tasks.cancelAll()
        }
    }
}

/// The marker filter shared by the output reader and the stop handle.
final class SharedMarkerFilter: Sendable {
    let state = Mutex(SSHMarkerFilter())
}
