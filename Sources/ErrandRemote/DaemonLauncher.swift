import ErrandCore
import ErrandRunner
import Foundation

/// Runs a fan-out child on another Errand daemon through its API: starts the run there, copies
/// its output back as it comes (long polls), and removes it there once everything is copied,
/// unless the output is to stay there (`--keep-remote`, then only its state is followed).
struct DaemonLauncher: ProcessLauncher {
    let host: FanOutHost
    let url: String
    let keepRemote: Bool
    let connect: RemoteDaemonConnector
    /// A failed poll is tried again this many times before the child is given up as unreachable.
    static let pollRetries = 5

    func run(
        _ spec: LaunchSpec,
        started: @Sendable (any LaunchedWork) async -> Void,
        output: @escaping @Sendable (OutputChannel, [UInt8]) async -> Void
    ) async throws(LaunchError) -> ExitStatus {
        let client = connect(url, host.token, host.caCertificates)
        let remote: Run
        do {
            // Named as the fan-out is (so the run is recognisable there), in the host's own environment.
            remote = try await client.start(RunRequest(argv: [spec.argv0] + spec.arguments, name: spec.environment["ERRAND_JOB_NAME"]))
        } catch {
            let place = host.name == url ? url : "\(host.name) (\(url))"
            throw LaunchError("could not start the command on \(place): \(Self.message(error))")
        }
        await started(RemoteRun(client: client, id: remote.id))
        if keepRemote {
            await output(
                .error,
                Array("errand: output kept on \(host.name) as run \(remote.id) (errand --host \(host.name) receive \(remote.id))\n".utf8))
        }
        let ended = try await follow(remote.id, client: client, output: output)
        if !keepRemote {
            // Everything is copied here: the host keeps nothing (as Invoke-Command returns results to the caller).
            _ = try? await client.remove(id: remote.id, force: false)
        }
        return try outcome(of: ended)
    }

    /// Copies output (or, keeping it remote, waits) until the remote run has finished.
    private func follow(
        _ id: Int64, client: any RemoteDaemon, output: @Sendable (OutputChannel, [UInt8]) async -> Void
    ) async throws(LaunchError) -> Run {
        var after: Int64 = 0
        var failures = 0
        while true {
            do {
                if keepRemote {
                    let waited = try await client.wait(ids: [id], any: false, timeout: 25)
                    if waited.done, let run = waited.runs.first { return run }
                } else {
                    // Small pages (≤ 1 MiB of 64 KiB chunks): a chatty host costs little memory here.
                    let page = try await client.output(id: id, after: after, wait: 25, limit: 16)
                    for record in page.records {
                        let chunk = record.chunk
                        await output(chunk.stream, chunk.bytes)
                    }
                    after = page.next
                    if page.records.isEmpty && page.run.state.isFinished { return page.run }
                }
                failures = 0
            } catch {
                if Task.isCancelled { throw LaunchError("stopped while following run \(id) on \(host.name)") }
                failures += 1
                guard failures <= Self.pollRetries else {
                    throw LaunchError("lost contact with \(host.name) while following its run \(id): \(Self.message(error))")
                }
                try? await Task.sleep(for: .seconds(failures))
            }
        }
    }

    /// The remote run's end as this child's: its exit status when it has one, else its reason.
    private func outcome(of run: Run) throws(LaunchError) -> ExitStatus {
        if run.state == .completed { return .exited(0) }
        if run.state == .failed, let code = run.exitCode { return .exited(code) }
        if run.state == .failed, let signal = run.signal { return .signaled(signal) }
        let why = run.reason.map { ": \($0)" } ?? ""
        throw LaunchError("run \(run.id) on \(host.name) ended \(run.state.rawValue)\(why)")
    }

    static func message(_ error: any Error) -> String {
        (error as? ErrandError)?.message ?? "\(error)"
    }
}

/// A run on another daemon: stopping it is that daemon's stop, with its own grace and SIGKILL.
struct RemoteRun: LaunchedWork {
    let client: any RemoteDaemon
    let id: Int64

    var localGroup: ProcessGroup? { nil }

    func terminate(grace: Duration) async {
        // The remote stop answers once the run has stopped; the coordinator does not wait for it here.
        Task { [client, id] in _ = try? await client.stop(id: id, grace: grace.seconds) }
    }

    func forceKill() async {
        Task { [client, id] in _ = try? await client.stop(id: id, grace: 0) }
    }
}
