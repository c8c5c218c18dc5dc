import ErrandCore
import ErrandRemote
import ErrandRunner
import ErrandStore
import Foundation
import Logging

extension RunCoordinator {
    // MARK: - Events and actions

    /// Applies `event` to the run's lifecycle and performs the actions it returns, in order. Every action
    /// is performed even when a store write fails (a stop still signals the process); the first write
    /// error is thrown at the end.
    func handle(_ id: Int64, _ event: RunLifecycle.Event) async throws {
        var failure: (any Error)?
        for action in transition(id, event) {
            do { try await perform(action, on: id) } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }

    /// Applies `event` and does at once, without suspending, what is bookkeeping only (taking the run out
    /// of its queue), so that no other task sees the run between the decision and its queue. Returns the
    /// actions left to perform.
    func transition(_ id: Int64, _ event: RunLifecycle.Event) -> [RunLifecycle.Action] {
        guard var entry = tracked[id] else { return [] }
        let actions = entry.lifecycle.handle(event)
        tracked[id] = entry
        if actions.contains(.dequeue) { _ = throttle.cancel(id) }
        return actions.filter { $0 != .dequeue }
    }

    func perform(_ action: RunLifecycle.Action, on id: Int64) async throws {
        switch action {
        case .dequeue:
            _ = throttle.cancel(id)
        case .recordStart(let state, let at):
            tracked[id]?.startedAt = at
            defer {
                for waiter in tracked[id]?.launchWaiters ?? [] { waiter.resume() }
                tracked[id]?.launchWaiters = []
            }
            hub.publish(.state(runID: id, state: state))
            try await store.updateRun(
                id: id, RunUpdate(state: state, pid: tracked[id]?.work?.localGroup?.id, startedAt: at))
        case .record(let state):
            hub.publish(.state(runID: id, state: state))
            try await store.updateRun(id: id, RunUpdate(state: state))
        case .terminate(let grace):
            if fanOuts[id] != nil { return await stopChildren(of: id, grace: grace) }
            if let path = tracked[id]?.shutdownFile { await Self.touchShutdownFile(path, at: now()) }
            await tracked[id]?.work?.terminate(grace: grace)
            tracked[id]?.armGraceTimer.yield(grace)
        case .kill:
            guard let work = tracked[id]?.work else { return }
            logger.info("run \(id) did not stop within its grace; sending SIGKILL")
            await work.forceKill()
        case .finish(let state, let reason, let status):
            try await finish(id, state: state, reason: reason, status: status)
        }
    }

    /// Records the run's end, frees its slot, then tells everyone (even when the store could not be
    /// written: a fan-out parent would wait for its child forever).
    private func finish(_ id: Int64, state: RunState, reason: String?, status: ExitStatus?) async throws {
        let endedAt = now()
        let startedAt = tracked[id]?.startedAt
        let known = tracked[id]?.run
        var job = known?.job
        var failure: (any Error)?
        do {
            let what = "its end (\(state.rawValue)) is not recorded yet"
            try await retryingWhileUnavailable("record the end of run \(id)", run: id, doing: what) {
                try await store.updateRun(
                    id: id,
                    RunUpdate(state: state, exitCode: status?.exitCode, signal: status?.signal, reason: reason, endedAt: endedAt))
            }
            if known == nil { job = try await store.run(id: id)?.job }
        } catch {
            logger.error("could not record the end of run \(id): \(error)")
            failure = error
        }
        // The slot is free before anyone hears of the end, so a run started in reaction gets it.
        finishBookkeeping(id)
        hub.publish(.state(runID: id, state: state))
        await ended(
            RunEnd(
                id: id, job: job, state: state, exitCode: status?.exitCode, signal: status?.signal, startedAt: startedAt,
                endedAt: endedAt))
        if let failure { throw failure }
    }

    /// Runs a store write, and again while the store is unavailable (a database server restarting, a full
    /// disk), backing off on the host's clock up to 5 s between tries, for as long as the daemon runs: a run
    /// that ends during an outage is recorded when the store comes back (a daemon stopped meanwhile leaves it
    /// to the next start's recovery). Meanwhile run `run`'s reads show the problem. Other errors are thrown.
    func retryingWhileUnavailable(
        _ what: String, run: Int64, doing: String, _ write: () async throws -> Void
    ) async throws {
        var delay = Duration.milliseconds(250)
        var attempt = 0
        defer { reader.problems.set(run, nil) }
        while true {
            do {
                return try await write()
            } catch let error where StoreError.isRetryable(error) && !Task.isCancelled {
                attempt += 1
                // Said once, then about every minute: an outage can last.
                if attempt == 1 || attempt % 12 == 0 { logger.warning("could not \(what): \(error); trying again (\(attempt))") }
                reader.problems.set(run, "\(doing): the store cannot be written (\(Self.describe(error))); trying again")
                try? await clock.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    /// A store error in a user's words (its message when it is Errand's own).
    nonisolated static func describe(_ error: any Error) -> String {
        (error as? ErrandError)?.message ?? String(describing: error)
    }

    func finishBookkeeping(_ id: Int64) {
        if let entry = tracked.removeValue(forKey: id) {
            entry.armGraceTimer.finish()
            for waiter in entry.launchWaiters { waiter.resume() }
        }
        throttle.finished(id)
        dispatch()
    }

    /// `ERRAND_SHUTDOWN_FILE`: created with the time the stop was asked for (file work: off the actor).
    private nonisolated static func touchShutdownFile(_ path: String, at time: Date) async {
        let stamp = ISO8601DateFormatter().string(from: time) + "\n"
        _ = FileManager.default.createFile(atPath: path, contents: Data(stamp.utf8))
    }

    // MARK: - Executing

    /// One run from launch to its recorded end.
    func execute(_ id: Int64) async {
        guard tracked[id] != nil else { return }
        if fanOuts[id] != nil { return await superviseFanOut(id) }
        let details: (Run, [String: String])?
        do {
            details = try await launchDetails(id)
        } catch {
            logger.error("could not load run \(id): \(error)")
            details = nil
        }
        guard let (run, environment) = details else {
            return await end(id, .withoutStatus("its record could not be read from the store"))
        }
        var env = environment
        env["ERRAND_RUN_ID"] = String(id)
        env["ERRAND_JOB_NAME"] = run.job ?? run.name
        env["ERRAND_INSTANCE"] = configuration.instanceName
        if run.job != nil { env["WEBJOBS_RUN_ID"] = String(id) }
        tracked[id]?.shutdownFile = env["ERRAND_SHUTDOWN_FILE"]
        let remote = remoteChildren[id]
        let capture = OutputCapture(
            runID: id, lastSeq: run.outputSeq, store: store, hub: hub, now: now, logger: logger, problems: reader.problems,
            fanOutParent: remote?.parent)
        async let written: Void = capture.run()
        let ending = await launchAndWait(run, environment: env, remote: remote, capture: capture)
        if let note = tracked[id]?.lifecycle.endNote(for: ending) { await capture.note("errand: \(note)") }
        capture.finish()
        await written
        await end(id, ending)
    }

    private func end(_ id: Int64, _ ending: RunLifecycle.Ending) async {
        do { try await handle(id, .ended(ending)) } catch {}  // logged where it failed
    }

    /// Launches the run and waits for its end, stopping it when its timeout passes or it stays idle too
    /// long, and killing it when a stop's grace runs out.
    private func launchAndWait(
        _ run: Run, environment: [String: String], remote: RemoteChild?, capture: OutputCapture
    ) async -> RunLifecycle.Ending {
        let id = run.id
        let launcher: any ProcessLauncher
        let spec: LaunchSpec
        do {
            let account = try await Self.account(of: run, policy: configuration.runAs)
            (launcher, spec) = try launchPlan(run, environment: environment, remote: remote, account: account)
        } catch {
            return .withoutStatus(error.message)
        }
        if let failure = await recordLaunchAttempt(id) { return .withoutStatus(failure) }
        guard let timers = tracked[id]?.graceTimers else { return .withoutStatus("the run was forgotten") }
        let idleTimeout = tracked[id]?.idleTimeout
        do {
            let status = try await withThrowingTaskGroup(of: ExitStatus?.self) { group -> ExitStatus? in
                group.addTask {
                    try await launcher.run(
                        spec, started: { work in await self.launched(id, work) },
                        output: { channel, bytes in await capture.append(bytes, from: channel) })
                }
                group.addTask {
                    await self.sleepOutGraces(id, timers)
                    return nil
                }
                if let timeout = run.timeout.flatMap(Self.sleepable) {
                    group.addTask {
                        try await self.clock.sleep(for: .seconds(timeout))
                        try? await self.stopFor(id, .timeout(timeout))
                        return nil
                    }
                }
                if let idleTimeout {
                    group.addTask {
                        try await self.watchIdleness(id, capture: capture, limit: idleTimeout)
                        return nil
                    }
                }
                while let result = try await group.next() {
                    if let result {
                        group.cancelAll()
                        return result
                    }
                }
                return nil
            }
            guard let status else { return .withoutStatus("the run ended without an exit status") }
            return .exited(status)
        } catch {
            return .withoutStatus("\(error)")
        }
    }

    /// A stop the run asks of itself (timeout, idleness), with its own grace.
    private func stopFor(_ id: Int64, _ cause: StopCause) async throws {
        try await handle(id, .stopAsked(cause, grace: stopGrace(of: id), at: now()))
    }

    /// Sleeps out each grace timer the lifecycle arms and reports it; ends with the run.
    private nonisolated func sleepOutGraces(_ id: Int64, _ timers: AsyncStream<Duration>) async {
        await withDiscardingTaskGroup { group in
            for await grace in timers {
                group.addTask {
                    do { try await self.clock.sleep(for: grace) } catch { return }
                    try? await self.handle(id, .graceElapsed(at: self.now()))
                }
            }
        }
    }

    /// Writes down that the run is about to be launched, before anything is launched: a daemon that dies
    /// from here on finds the mark at its restart and records the run `Failed` instead of launching it a
    /// second time. When the mark cannot be written the run is not launched at all; the reason is returned.
    private func recordLaunchAttempt(_ id: Int64) async -> String? {
        do {
            try await store.updateRun(id: id, RunUpdate(startedAt: now()))
            return nil
        } catch {
            logger.error("run \(id) not launched: its launch could not be recorded: \(error)")
            return "not launched: the store could not record its launch (\(error))"
        }
    }

    /// A stored timeout as something a sleep takes without trapping: runs stored by an older version
    /// were not bounded by ``InputBounds``.
    static func sleepable(_ seconds: Double) -> Double? {
        seconds.isFinite && seconds > 0 ? min(seconds, InputBounds.maxTimeoutSeconds) : nil
    }

    /// What runs the run, and what it is told: the local program found in the run's PATH, or, for a
    /// fan-out child, the command as it is with only Errand's variables (the host has its own environment).
    private func launchPlan(
        _ run: Run, environment: [String: String], remote: RemoteChild?, account: UserAccount?
    ) throws(ErrandError) -> (any ProcessLauncher, LaunchSpec) {
        guard run.type != .remoteJob || remote != nil else {
            throw .badRequest("run \(run.id) belongs to a fan-out whose host is not known to this daemon any more")
        }
        if let remote {
            let told = environment.filter { $0.key.hasPrefix("ERRAND_") }
            let spec = LaunchSpec(
                executablePath: run.argv[0], arguments: Array(run.argv.dropFirst()), argv0: run.argv[0], environment: told,
                workingDirectory: nil)
            let watch = ConnectionWatch(clock: clock, timeout: remote.disconnectedTimeout) { connected in
                await self.connectionChanged(run.id, connected: connected)
            }
            return (try remoteLaunchers.launcher(for: remote.host, keepRemote: remote.keepRemote, watch: watch), spec)
        }
        guard let path = ExecutableLookup.resolve(run.argv[0], path: environment["PATH"], workingDirectory: run.workingDirectory)
        else { throw .badRequest("command not found: '\(run.argv[0])'") }
        let spec = LaunchSpec(
            executablePath: path, arguments: Array(run.argv.dropFirst()), argv0: run.argv[0],
            environment: account?.identifying(environment) ?? environment,
            workingDirectory: run.workingDirectory ?? account?.startingDirectory, account: account,
            killMode: tracked[run.id]?.killMode ?? .controlGroup)
        return (launcher, spec)
    }

    /// The account a local run is launched as (read from the user database off the actor), after checking
    /// that this daemon still allows it: the run may have been stored by a daemon configured otherwise.
    nonisolated static func account(of run: Run, policy: RunAsPolicy) async throws(ErrandError) -> UserAccount? {
        guard let name = run.runAs, run.type != .remoteJob else { return nil }
        guard policy.allowed.contains(name) else {
            throw .badRequest("run \(run.id) was to run as '\(name)', which this daemon does not allow (--run-as, --allow-run-as)")
        }
        let account = try UserAccount.named(name)
        guard UserAccount.canSwitch(to: account) else {
            throw .badRequest("cannot launch run \(run.id) as '\(name)': the daemon is not running as root")
        }
        return account
    }

    /// The run and its environment: kept from `start` when this daemon created it (no store read
    /// on the hot path), else read back from the store (runs queued before a restart).
    private func launchDetails(_ id: Int64) async throws -> (Run, [String: String])? {
        if let run = tracked[id]?.run, let environment = tracked[id]?.environment {
            tracked[id]?.environment = nil
            return (run, environment)
        }
        guard let run = try await store.run(id: id), let environment = try await store.environment(runID: id) else {
            return nil
        }
        tracked[id]?.run = run
        return (run, environment)
    }

    /// The process exists: its lifecycle records it (`Running` with its pid, needed to clean up after a
    /// crash, or `Stopping` when a stop came while it was being launched).
    private func launched(_ id: Int64, _ work: any LaunchedWork) async {
        tracked[id]?.work = work
        childLaunched(id)
        do { try await handle(id, .launched(at: now())) } catch {
            logger.error("could not record the start of run \(id): \(error)")
        }
    }

    /// Stops the run once it has written nothing for `limit`.
    private func watchIdleness(_ id: Int64, capture: OutputCapture, limit: Duration) async throws {
        let seconds = limit.seconds
        while true {
            let quiet = now().timeIntervalSince(capture.lastActivity)
            if quiet >= seconds {
                try? await stopFor(id, .idle(seconds))
                return
            }
            try await clock.sleep(for: .seconds(seconds - quiet))
        }
    }
}
