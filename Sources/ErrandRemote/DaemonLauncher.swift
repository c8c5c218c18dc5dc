import ErrandCore
import ErrandRunner
import Foundation

/// Runs a fan-out child on another Errand daemon through its API: starts the run there, copies
/// its output back as it comes (long polls), and removes it there once everything is copied,
/// unless the output is to stay there (`--keep-remote`, then only its state is followed).
///
/// A host that stops answering while its run goes on leaves the child `Disconnected` (``ConnectionWatch``):
/// the polls go on, 1 to 10 s apart on the watch's clock, and the first that is answered reconnects the child;
/// output is copied on from where it stopped (by the remote run's numbers), so nothing is lost or copied twice.
/// A host silent for the disconnected timeout fails the child; so does one that never answered the start.
struct DaemonLauncher: ProcessLauncher {
    let host: FanOutHost
    let url: String
    let keepRemote: Bool
    let connect: RemoteDaemonConnector
    var watch = ConnectionWatch()

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
        let giveUp = GiveUp()
        await started(RemoteRun(client: client, id: remote.id, giveUp: giveUp))
        if keepRemote {
            await output(
                .error,
                Array("errand: output kept on \(host.name) as run \(remote.id) (errand --host \(host.name) receive \(remote.id))\n".utf8))
        }
        let ended = try await follow(remote.id, client: client, giveUp: giveUp, output: output)
        if !keepRemote {
            // Everything is copied here: the host keeps nothing (as Invoke-Command returns results to the caller).
            _ = try? await client.remove(id: remote.id, force: false)
        }
        return try outcome(of: ended)
    }

    /// Copies output (or, keeping it remote, waits) until the remote run has finished.
    private func follow(
        _ id: Int64, client: any RemoteDaemon, giveUp: GiveUp, output: @Sendable (OutputChannel, [UInt8]) async -> Void
    ) async throws(LaunchError) -> Run {
        var after: Int64 = 0
        var failures = 0
        /// When the host stopped answering (nil while it answers).
        var lostAt: Date?
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
                if lostAt != nil {
                    lostAt = nil
                    await watch.changed(true)
                }
            } catch {
                if Task.isCancelled { throw LaunchError("stopped while following run \(id) on \(host.name)") }
                if giveUp.isSet {
                    throw LaunchError("\(host.name) did not answer the stop: its run \(id) there may still be going")
                }
                failures += 1
                let now = watch.clock.now
                if lostAt == nil {
                    lostAt = now
                    await watch.changed(false)
                }
                let silent = now.timeIntervalSince(lostAt ?? now)
                let limit = watch.timeout.seconds
                guard silent < limit else {
                    throw LaunchError(
                        "lost contact with \(host.name) for \(Self.whole(silent)) s (the disconnected timeout is "
                            + "\(Self.whole(limit)) s) while following its run \(id), which may still be going there: "
                            + Self.message(error))
                }
                try? await watch.clock.sleep(for: min(ConnectionWatch.pause(after: failures), .seconds(limit - silent)))
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

    /// Seconds as a whole number for people (clamped: a clock can jump).
    static func whole(_ seconds: Double) -> String { String(Int64(min(max(seconds, 0), 1e15).rounded())) }

    static func message(_ error: any Error) -> String {
        (error as? ErrandError)?.message ?? "\(error)"
    }
}

/// A run on another daemon: stopping it is that daemon's stop, with its own grace and SIGKILL.
struct RemoteRun: LaunchedWork {
    let client: any RemoteDaemon
    let id: Int64
    /// Told when the stop's grace has run out: a host that does not answer then is given up.
    var giveUp = GiveUp()

    var localGroup: ProcessGroup? { nil }

    func terminate(grace: Duration) async {
        // The remote stop answers once the run has stopped; the coordinator does not wait for it here.
        Task { [client, id] in _ = try? await client.stop(id: id, grace: grace.seconds) }
    }

    func forceKill() async {
        giveUp.set()
        Task { [client, id] in _ = try? await client.stop(id: id, grace: 0) }
    }
}
