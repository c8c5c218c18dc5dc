import ErrandCore
import Foundation
import Subprocess
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// Runs local child processes with swift-subprocess (pidfd + epoll on Linux; no fork from the
/// daemon's own code, no polling `waitUntilExit`). Each run leads a new session, so its process
/// group holds everything it starts.
///
/// A run owns its process group to the end, as systemd's `KillMode=control-group` does: when the
/// leader exits, its output pipes are read on for up to `drainPeriod` (what a background child prints
/// meanwhile is kept), then whatever is left of the group gets SIGTERM, and SIGKILL after `leftoverGrace`;
/// the run's log says so. A run with kill mode `process` is left its leftovers. A run with an account is
/// launched as that user, with its groups.
public struct SubprocessLauncher: ProcessLauncher {
    public var drainPeriod: Duration
    public var leftoverGrace: Duration

    public init(drainPeriod: Duration = .seconds(2), leftoverGrace: Duration = .seconds(2)) {
        self.drainPeriod = drainPeriod
        self.leftoverGrace = leftoverGrace
    }

    public func run(
        _ spec: LaunchSpec,
        started: @Sendable (any LaunchedWork) async -> Void,
        output: @escaping @Sendable (OutputChannel, [UInt8]) async -> Void
    ) async throws(LaunchError) -> ExitStatus {
        var options = PlatformOptions()
        options.createSession = true
        let command: (path: String, arguments: [String], argv0: String)
        if let account = spec.account {
            // Through setpriv, not swift-subprocess's uid options: those take its fork path, and a setuid in the
            // forked child of a threaded daemon can hang on a lock another thread held (glibc's setxid).
            guard let switcher = UserAccount.switcher else {
                throw LaunchError("could not start \(spec.argv0) as '\(account.name)': \(UserAccount.missingSwitcher)")
            }
            command = (switcher, account.switchArguments + [spec.executablePath] + spec.arguments, switcher)
        } else {
            command = (spec.executablePath, spec.arguments, spec.argv0)
        }
        let gate = SpawnGate.shared
        await gate.enter()
        let passed = Atomic(false)
        let leave = { if !passed.exchange(true, ordering: .relaxed) { gate.leave() } }
        guard SpawnGate.descriptorsFree() else {
            leave()
            throw LaunchError("could not start \(spec.argv0): \(Self.descriptorShortage())")
        }
        defer { leave() }
        let pipes: (output: (read: Int32, write: Int32), error: (read: Int32, write: Int32))
        do {
            pipes = (try Self.pipe(), try Self.pipe())
        } catch {
            throw LaunchError("could not start \(spec.argv0): \(error.message)")
        }
        let readers = (output: PipeReader(descriptor: pipes.output.read), error: PipeReader(descriptor: pipes.error.read))
        let configuration = Configuration(
            executable: .path(FilePath(command.path)),
            arguments: Arguments(executablePathOverride: command.argv0, remainingValues: command.arguments),
            environment: .custom(
                Dictionary(
                    uniqueKeysWithValues: spec.environment.compactMap { key, value in
                        Environment.Key(rawValue: key).map { ($0, value) }
                    })),
            workingDirectory: spec.workingDirectory.map { FilePath($0) },
            platformOptions: options
        )
        let drained = Drain(readers: [(.output, readers.output), (.error, readers.error)], output: output)
        async let reading: Void = drained.readAll()
        let group = Mutex<ProcessGroup?>(nil)
        let status: ExitStatus
        do {
            let result = try await Subprocess.run(
                configuration, input: .none,
                output: .fileDescriptor(FileDescriptor(rawValue: pipes.output.write), closeAfterSpawningProcess: true),
                error: .fileDescriptor(FileDescriptor(rawValue: pipes.error.write), closeAfterSpawningProcess: true)
            ) { execution in
                leave()  // spawned: the next run may spawn while this one runs
                let launched = ProcessGroup(id: execution.processIdentifier.value, leaderOnly: spec.killMode == .process)
                group.withLock { $0 = launched }
                await started(launched)
            }
            switch result.terminationStatus {
            case .exited(let code): status = .exited(code)
            case .signaled(let signal): status = .signaled(signal)
            }
        } catch {
            readers.output.close()
            readers.error.close()
            await reading
            throw Self.launchError(error, spec: spec)
        }
        if let launched = group.withLock({ $0 }) {
            if launched.leaderOnly {
                // kill_mode process: what the leader left keeps running; its output is read for the drain period only.
                _ = await drained.finished(within: drainPeriod)
            } else {
                await drainAndReap(launched, drained: drained, output: output)
            }
        }
        readers.output.close()
        readers.error.close()
        await reading
        return status
    }

    /// After the leader exited: reads on until the pipes close or the drain period ends, then stops
    /// what is left of the process group and says so in the run's log.
    private func drainAndReap(
        _ group: ProcessGroup, drained: Drain, output: @Sendable (OutputChannel, [UInt8]) async -> Void
    ) async {
        _ = await drained.finished(within: drainPeriod)
        guard group.hasRunningMembers else { return }
        group.send(SIGTERM)
        var note = "errand: the run's main process exited and left processes in its group: sent them SIGTERM"
        if !(await Self.gone(group, within: leftoverGrace)) {
            group.send(SIGKILL)
            note += ", then SIGKILL after \(leftoverGrace)"
        }
        await output(.error, Array((note + "\n").utf8))
        // Killed, the group's writers are gone: what they wrote before is read to the end.
        _ = await drained.finished(within: .seconds(1))
    }

    /// Waits until no process of the group is left, polling gently; false when some remain after `limit`.
    static func gone(_ group: ProcessGroup, within limit: Duration) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while group.hasRunningMembers {
            if clock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// A pipe for a run's stdout or stderr; swift-subprocess puts the write end on the child's descriptor
    /// itself. Close-on-exec for hygiene: children spawned by swift-subprocess close every descriptor
    /// above 2 anyway (close_range), so another run spawned meanwhile cannot inherit an end.
    static func pipe() throws(ErrandError) -> (read: Int32, write: Int32) {
        var ends: [Int32] = [0, 0]
        guard Glibc.pipe(&ends) == 0 else {
            let reason = errno == EMFILE || errno == ENFILE ? descriptorShortage() : String(cString: strerror(errno))
            throw ErrandError(.unavailable, reason)
        }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return (ends[0], ends[1])
    }

    static func launchError(_ error: any Error, spec: LaunchSpec) -> LaunchError {
        if let error = error as? SubprocessError {
            let errno = error.underlyingError?.rawValue
            let shortage = errno == EMFILE || errno == ENFILE ? Self.descriptorShortage() : nil
            return LaunchError("could not start \(spec.argv0): \(shortage ?? error.description)")
        }
        return LaunchError("could not start \(spec.argv0): \(error)")
    }

    /// Out of file descriptors, swift-subprocess reports the first open that failed (often the working
    /// directory's): say what is really wrong.
    static func descriptorShortage() -> String {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        return
            "the daemon has run out of file descriptors (limit \(limit.rlim_cur) open files): raise `ulimit -n` for errand serve, or lower the throttle limits so fewer runs hold pipes at once"
    }
}
