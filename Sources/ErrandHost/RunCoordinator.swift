import ErrandCore
import ErrandRemote
import ErrandRunner
import ErrandStore
import Foundation
import Logging
import ServiceLifecycle

/// The daemon's brain for runs: creates them, queues them behind their throttle group, launches
/// them, captures their output, stops them, and records every state change through the pure
/// state machine. It is a `Service`: its `run()` owns every run's task, so shutting it down
/// stops the runs and leaves no child process behind.
public actor RunCoordinator: Service {
    /// Why a stop was asked for; it decides the final state and reason.
    enum StopCause: Sendable {
        case user
        case timeout(Double)
        case idle(Double)
        case shutdown
        case sessionExpired(String)
        /// Its fan-out parent was stopped.
        case parent(Int64)

        var finalTransition: RunTransition {
            switch self {
            case .timeout, .idle: .fail
            case .user, .shutdown, .sessionExpired, .parent: .confirmStop
            }
        }

        var reason: String {
            switch self {
            case .user: "stopped on request"
            case .timeout(let seconds): "timed out after \(Self.format(seconds)) s and was stopped"
            case .idle(let seconds): "wrote no output for \(Self.format(seconds)) s (idle_timeout) and was stopped"
            case .shutdown: "stopped because the daemon shut down"
            case .sessionExpired(let name): "stopped because its session '\(name)' expired (--stop-on-expire)"
            case .parent(let id): "stopped with its fan-out parent, run \(id)"
            }
        }

        static func format(_ seconds: Double) -> String {
            seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
        }
    }

    /// A run this daemon is launching or running.
    struct ActiveRun {
        /// The run's state as this actor last recorded it (the store is written, never re-read).
        var state = RunState.notStarted
        var startedAt: Date?
        /// The launched process (or remote run) to stop; nil until launched.
        var work: (any LaunchedWork)?
        var stopCause: StopCause?
        /// The grace of a stop asked for before the process existed: handed to the enforcer at launch.
        var pendingStopGrace: Duration?
        /// Created (with the current time) when the run is asked to stop: `ERRAND_SHUTDOWN_FILE`.
        var shutdownFile: String?
        /// Stop requests (their grace) for the run's enforcer task.
        let stopRequests: AsyncStream<Duration>
        let requestStop: AsyncStream<Duration>.Continuation
        /// Callers of `start` waiting for the process to exist.
        var launched: [CheckedContinuation<Void, Never>] = []

        init() {
            (stopRequests, requestStop) = AsyncStream<Duration>.makeStream()
        }
    }

    public nonisolated let store: any Store
    public let hub: EventHub
    let launcher: any ProcessLauncher
    /// How fan-out children reach their hosts.
    let remoteLaunchers: RemoteLaunchers
    let configuration: HostConfiguration
    /// Every wait (timeouts, graces, idle limits) and every recorded time comes from here.
    let clock: any HostClock
    let now: @Sendable () -> Date
    let logger: Logger

    var throttle: Throttle
    var active: [Int64: ActiveRun] = [:]
    /// Runs created by `start` and not yet launched, with their environment.
    var created: [Int64: (Run, [String: String])] = [:]
    /// What plans said beyond the stored fields, until the run ends (lost for runs queued across a restart,
    /// which then get the defaults).
    private var limits: [Int64: (stopGrace: Duration?, idleTimeout: Duration?)] = [:]
    private var endObserver: (@Sendable (RunEnd) async -> Void)?
    /// Fan-out parents being supervised, and where each of their unfinished children runs.
    var fanOuts: [Int64: FanOut] = [:]
    var remoteChildren: [Int64: RemoteChild] = [:]
    /// When the earliest disconnected session expires (nil: none is disconnected). Unknown at start, so the
    /// first sweep reads the store.
    var nextSessionExpiry: Date? = .distantPast
    var acceptingRuns = true
    private let launches: AsyncStream<Int64>
    let launchQueue: AsyncStream<Int64>.Continuation

    public init(
        store: any Store, launcher: any ProcessLauncher = SubprocessLauncher(), configuration: HostConfiguration,
        remoteLaunchers: RemoteLaunchers = RemoteLaunchers(),
        hub: EventHub = EventHub(), clock: any HostClock = SystemClock(),
        logger: Logger = Logger(label: "errand.host")
    ) {
        self.store = store
        self.launcher = launcher
        self.remoteLaunchers = remoteLaunchers
        self.configuration = configuration
        self.hub = hub
        self.clock = clock
        self.now = { clock.now }
        self.logger = logger
        self.throttle = Throttle(defaultLimit: configuration.throttleLimit)
        (launches, launchQueue) = AsyncStream<Int64>.makeStream()
    }

    // MARK: - Service

    /// Runs every launched run as a child task until graceful shutdown, when running runs are
    /// stopped and recorded `Stopped`. Call ``recover()`` first.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for await id in launches {
                    group.addTask { await self.execute(id) }
                }
            }
        } onGracefulShutdown: {
            Task { await self.shutDown() }  // The handler is synchronous; the stop work is async.
        }
    }

    private func shutDown() async {
        acceptingRuns = false
        let ids = Array(active.keys)
        if !ids.isEmpty { logger.info("stopping \(ids.count) running run(s) before shutdown") }
        await withTaskGroup(of: Void.self) { group in
            for id in ids {
                group.addTask { _ = try? await self.stop(id: id, grace: self.configuration.shutdownGrace, cause: .shutdown) }
            }
        }
        launchQueue.finish()
    }

    /// Runs left unfinished by a daemon that died: queued runs are queued again; runs that were
    /// running lost their output pipes, so their leftover processes are killed and they are
    /// recorded `Failed` with the reason. Fan-out children that had not reached their host fail too:
    /// their hosts' credentials were never stored. Call it once, before serving requests.
    public func recover() async throws {
        let unfinished = try await store.runs(RunQuery(states: RunState.allCases.filter { !$0.isFinished }))
        for run in unfinished {
            // A fan-out's runs are never queued again: their hosts' credentials were never stored, and a
            // parent is no command to run here.
            // A queued run is queued again, unless its launch had begun: then its command may have run,
            // and running it again could do twice what must be done once.
            let launchBegun = run.startedAt != nil
            if run.state == .notStarted && run.type != .remoteJob && !launchBegun {
                throttle.enqueue(run.id, group: run.throttleGroup)
                continue
            }
            var reason =
                switch (run.state, run.isFanOutChild) {
                case (.notStarted, _) where launchBegun:
                    "the daemon stopped while launching this run; it is not launched again, so its command never runs twice"
                case (.notStarted, true):
                    "the daemon stopped before this child reached \(run.location) (a fan-out's connections are not kept across restarts)"
                case (.notStarted, false): "the daemon stopped while this fan-out was being created"
                default: "the daemon stopped while the run was \(run.state.rawValue) (killed or crashed)"
                }
            if let pid = run.pid, let leftover = ProcessGroup.leftover(pid: pid, runID: run.id) {
                leftover.send(SIGKILL)
                reason += "; its leftover processes were killed"
            }
            let state = run.state.next(after: .fail) ?? .failed
            try await store.updateRun(id: run.id, RunUpdate(state: state, reason: reason, endedAt: now()))
            logger.warning("run \(run.id) recorded \(state.rawValue): \(reason)")
        }
        dispatch()
    }

    /// Registers the one observer told about every run that ends (the job host: supervision, retention).
    public func observeEnds(_ observer: @escaping @Sendable (RunEnd) async -> Void) {
        endObserver = observer
    }

    // MARK: - Starting

    /// Creates a run and starts it when its throttle group has a free slot; returns it once it
    /// was launched (or failed to launch), or at once when it must wait in `NotStarted`.
    public func start(_ request: RunRequest, trigger: TriggerKind = .manual) async throws -> Run {
        let request = try request.validated()
        guard acceptingRuns else { throw ErrandError(.unavailable, "the daemon is shutting down; try again shortly") }
        let environment = request.environment ?? ProcessInfo.processInfo.environment
        if let directory = request.workingDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ErrandError.badRequest("working directory '\(directory)' does not exist or is not a directory")
            }
        }
        if let session = request.session { _ = try await useSession(session) }
        let program = request.argv[0]
        guard
            ExecutableLookup.resolve(program, path: environment["PATH"], workingDirectory: request.workingDirectory)
                != nil
        else {
            throw ErrandError.badRequest(
                program.contains("/")
                    ? "'\(program)' is not an executable file"
                    : "command not found: '\(program)' is not in the PATH of the run's environment")
        }
        let plan = RunPlan(
            run: NewRun(
                name: request.name, argv: request.argv, workingDirectory: request.workingDirectory,
                environment: environment, throttleGroup: request.throttleGroup ?? ThrottleGroup.default,
                timeout: request.timeout, instance: configuration.instanceName, trigger: trigger, createdAt: now(),
                session: request.session),
            throttleLimit: request.throttleLimit)
        // Without a tick the run is always created.
        return try await start(plan)!
    }

    /// Creates the run of `plan` (for a tick: only if the tick was not claimed before, else nil) and
    /// starts it as ``start(_:trigger:)`` does. The caller has checked the command.
    public func start(_ plan: RunPlan) async throws -> Run? {
        guard acceptingRuns else { throw ErrandError(.unavailable, "the daemon is shutting down; try again shortly") }
        let group = plan.run.throttleGroup
        let run: Run
        if let due = plan.tick, let job = plan.run.job {
            guard let claimed = try await store.claimTick(job: job, due: due, run: plan.run) else { return nil }
            run = claimed
        } else {
            run = try await store.createRun(plan.run)
        }
        if let limit = plan.throttleLimit { throttle.setLimit(limit, for: group) }
        if plan.stopGrace != nil || plan.idleTimeout != nil { limits[run.id] = (plan.stopGrace, plan.idleTimeout) }
        created[run.id] = (run, plan.run.environment)
        throttle.enqueue(run.id, group: group)
        dispatch()
        guard active[run.id] != nil else { return run }  // queued: NotStarted as created
        if active[run.id]?.work == nil {
            await withCheckedContinuation { active[run.id]?.launched.append($0) ?? $0.resume() }
        }
        // Still running: what the store holds is known here, so no read is needed.
        if let launched = active[run.id], let work = launched.work {
            var current = run
            current.state = launched.state
            current.pid = work.localGroup?.id
            current.startedAt = launched.startedAt
            return current
        }
        return try await store.run(id: run.id) ?? run
    }

    /// Records a run that will not execute (a schedule tick skipped by the overlap or missed policy) as
    /// `Stopped` with the reason, so it shows in the job's history. Nil when the tick was claimed before.
    public func recordSkipped(_ plan: RunPlan, reason: String) async throws -> Run? {
        let run: Run
        let endedAt = now()
        if let due = plan.tick, let job = plan.run.job {
            // One transaction claims the tick and records its run Stopped: no crash window between the two.
            let skip = SkippedTick(reason: reason, endedAt: endedAt)
            guard let claimed = try await store.claimTick(job: job, due: due, run: plan.run, skipped: skip) else { return nil }
            run = claimed
        } else {
            run = try await store.createRun(plan.run)
            try await store.updateRun(id: run.id, RunUpdate(state: .stopped, reason: reason, endedAt: endedAt))
        }
        hub.publish(.state(runID: run.id, state: .stopped))
        await ended(RunEnd(id: run.id, job: run.job, state: .stopped, endedAt: endedAt))
        var skipped = run
        skipped.state = .stopped
        skipped.reason = reason
        skipped.endedAt = endedAt
        skipped.hasMoreData = false
        return skipped
    }

    /// Hands every run that may start now to the service's task group.
    func dispatch() {
        // Shutting down: what is queued stays queued (and is queued again after the restart).
        guard acceptingRuns else { return }
        for id in throttle.takeStartable() {
            active[id] = ActiveRun()
            launchQueue.yield(id)
        }
    }

    // MARK: - Executing

    /// One run from launch to its recorded end.
    private func execute(_ id: Int64) async {
        guard let stopRequests = active[id]?.stopRequests else { return }
        if fanOuts[id] != nil { return await superviseFanOut(id, stopRequests: stopRequests) }
        let run: Run
        let environment: [String: String]
        do {
            guard let (found, env) = try await launchDetails(id) else {
                finishBookkeeping(id)
                return childEnded(RunEnd(id: id, job: nil, state: .failed, endedAt: now()))
            }
            run = found
            environment = env
        } catch {
            logger.error("could not load run \(id): \(error)")
            finishBookkeeping(id)
            return childEnded(RunEnd(id: id, job: nil, state: .failed, endedAt: now()))
        }

        var env = environment
        env["ERRAND_RUN_ID"] = String(id)
        env["ERRAND_JOB_NAME"] = run.job ?? run.name
        if run.job != nil { env["WEBJOBS_RUN_ID"] = String(id) }
        active[id]?.shutdownFile = env["ERRAND_SHUTDOWN_FILE"]
        let idleTimeout = limits[id]?.idleTimeout
        let remote = remoteChildren[id]
        let capture = OutputCapture(
            runID: id, lastSeq: run.outputSeq, store: store, hub: hub, now: now, logger: logger,
            merged: remote.flatMap { child in fanOuts[child.parent].map { ($0.capture, child.host.name) } })
        async let written: Void = capture.run()

        var status: ExitStatus?
        var launchFailure: String?
        let launch: (launcher: any ProcessLauncher, spec: LaunchSpec)?
        do {
            launch = try launchPlan(run, environment: env, remote: remote)
        } catch {
            launch = nil
            launchFailure = error.message
        }
        if launch != nil, let failure = await recordLaunchAttempt(id) {
            launchFailure = failure
        } else if let (launcher, spec) = launch {
            do {
                status = try await withThrowingTaskGroup(of: ExitStatus?.self) { group in
                    group.addTask {
                        try await launcher.run(
                            spec, started: { work in await self.didLaunch(id, work) },
                            output: { channel, bytes in await capture.append(bytes, from: channel) })
                    }
                    group.addTask {
                        await self.enforceStops(id, requests: stopRequests); return nil
                    }
                    if let timeout = run.timeout.flatMap(Self.sleepable) {
                        group.addTask {
                            try await Task.sleep(for: .seconds(timeout))
                            _ = try? await self.requestStop(id, grace: self.stopGrace(of: id), cause: .timeout(timeout))
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
            } catch {
                launchFailure = "\(error)"
            }
        }
        if let launchFailure { await capture.note("errand: \(launchFailure)") }
        capture.finish()
        await written
        await record(id, job: run.job, status: status, launchFailure: launchFailure)
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

    /// A stored timeout as something `Task.sleep` takes without trapping: runs stored by an older
    /// version were not bounded by ``InputBounds``.
    static func sleepable(_ seconds: Double) -> Double? {
        seconds.isFinite && seconds > 0 ? min(seconds, InputBounds.maxTimeoutSeconds) : nil
    }

    /// What runs the run, and what it is told: the local program found in the run's PATH, or, for a
    /// fan-out child, the command as it is with only Errand's variables (the host has its own environment).
    private func launchPlan(
        _ run: Run, environment: [String: String], remote: RemoteChild?
    ) throws(ErrandError) -> (any ProcessLauncher, LaunchSpec) {
        guard run.type != .remoteJob || remote != nil else {
            throw .badRequest("run \(run.id) belongs to a fan-out whose host is not known to this daemon any more")
        }
        if let remote {
            let told = environment.filter { $0.key.hasPrefix("ERRAND_") }
            let spec = LaunchSpec(
                executablePath: run.argv[0], arguments: Array(run.argv.dropFirst()), argv0: run.argv[0], environment: told,
                workingDirectory: nil)
            return (try remoteLaunchers.launcher(for: remote.host, keepRemote: remote.keepRemote), spec)
        }
        guard let path = ExecutableLookup.resolve(run.argv[0], path: environment["PATH"], workingDirectory: run.workingDirectory)
        else { throw .badRequest("command not found: '\(run.argv[0])'") }
        let spec = LaunchSpec(
            executablePath: path, arguments: Array(run.argv.dropFirst()), argv0: run.argv[0], environment: environment,
            workingDirectory: run.workingDirectory)
        return (launcher, spec)
    }

    /// The run and its environment: kept from `start` when this daemon created it (no store read
    /// on the hot path), else read back from the store (runs queued before a restart).
    private func launchDetails(_ id: Int64) async throws -> (Run, [String: String])? {
        if let known = created.removeValue(forKey: id) { return known }
        guard let run = try await store.run(id: id), let environment = try await store.environment(runID: id) else {
            return nil
        }
        return (run, environment)
    }

    /// The process exists: record it `Running` with its pid (needed to clean up after a crash).
    private func didLaunch(_ id: Int64, _ work: any LaunchedWork) async {
        active[id]?.work = work
        var state = RunState.running
        if active[id]?.stopCause != nil {
            // A stop came while the process was being launched: the enforcer takes it from here (SIGTERM,
            // then SIGKILL after the grace asked for).
            active[id]?.requestStop.yield(active[id]?.pendingStopGrace ?? stopGrace(of: id))
            state = .stopping
        }
        let startedAt = now()
        active[id]?.state = state
        active[id]?.startedAt = startedAt
        do {
            try await store.updateRun(id: id, RunUpdate(state: state, pid: work.localGroup?.id, startedAt: startedAt))
        } catch {
            logger.error("could not record start of run \(id): \(error)")
        }
        hub.publish(.state(runID: id, state: state))
        for waiter in active[id]?.launched ?? [] { waiter.resume() }
        active[id]?.launched = []
    }

    /// Stops the run once it has written nothing for `limit`.
    private func watchIdleness(_ id: Int64, capture: OutputCapture, limit: Duration) async throws {
        let seconds = Double(limit.components.seconds) + Double(limit.components.attoseconds) / 1e18
        while true {
            let quiet = now().timeIntervalSince(capture.lastActivity)
            if quiet >= seconds {
                _ = try? await requestStop(id, grace: stopGrace(of: id), cause: .idle(seconds))
                return
            }
            try await Task.sleep(for: .seconds(min(seconds - quiet, 1) + 0.01))
        }
    }

    /// The grace a stop without a caller-given grace gets: the run's plan, else the daemon's default.
    func stopGrace(of id: Int64) -> Duration {
        limits[id]?.stopGrace ?? configuration.stopGrace
    }

    /// On each stop request: the shutdown file (if the run has one), SIGTERM; SIGKILL when the grace
    /// runs out. Cancelled when the run ends.
    private func enforceStops(_ id: Int64, requests: AsyncStream<Duration>) async {
        for await grace in requests {
            if let path = active[id]?.shutdownFile {
                let stamp = ISO8601DateFormatter().string(from: now()) + "\n"
                _ = FileManager.default.createFile(atPath: path, contents: Data(stamp.utf8))
            }
            await active[id]?.work?.terminate(grace: grace)
            do { try await Task.sleep(for: grace) } catch { return }
            if let work = active[id]?.work {
                logger.info("run \(id) did not stop within its grace; sending SIGKILL")
                await work.forceKill()
            }
        }
    }

    /// Records the run's end, frees its slot, then tells everyone.
    private func record(_ id: Int64, job: String?, status: ExitStatus?, launchFailure: String?) async {
        let cause = active[id]?.stopCause
        let transition: RunTransition
        var reason: String?
        if let cause {
            transition = cause.finalTransition
            reason = cause.reason
        } else if let status {
            (transition, reason) = status.outcome
        } else {
            transition = .fail
            reason = launchFailure ?? "the run ended without an exit status"
        }
        do {
            // A run whose launch failed never left NotStarted; the machine takes it from there.
            let current = active[id]?.state ?? .running
            let state = current.next(after: transition) ?? (transition == .confirmStop ? .stopped : .failed)
            // From here a stop request records nothing (it would overwrite the final state).
            active[id]?.state = state
            let endedAt = now()
            let startedAt = active[id]?.startedAt
            try await store.updateRun(
                id: id,
                RunUpdate(
                    state: state, exitCode: status?.exitCode, signal: status?.signal, reason: reason, endedAt: endedAt))
            // The slot is free before anyone hears of the end, so a run started in reaction gets it.
            finishBookkeeping(id)
            hub.publish(.state(runID: id, state: state))
            await ended(
                RunEnd(
                    id: id, job: job, state: state, exitCode: status?.exitCode, signal: status?.signal,
                    startedAt: startedAt, endedAt: endedAt))
        } catch {
            logger.error("could not record the end of run \(id): \(error)")
            finishBookkeeping(id)
            childEnded(RunEnd(id: id, job: job, state: .failed, endedAt: now()))
        }
    }

    /// Tells whoever follows run ends: a fan-out parent about its child, the job host about its runs.
    func ended(_ end: RunEnd) async {
        childEnded(end)
        await endObserver?(end)
    }

    func finishBookkeeping(_ id: Int64) {
        if let entry = active.removeValue(forKey: id) {
            entry.requestStop.finish()
            for waiter in entry.launched { waiter.resume() }
        }
        limits.removeValue(forKey: id)
        throttle.finished(id)
        dispatch()
    }

    // MARK: - Stopping and removing

    /// Stops a run: a queued run becomes `Stopped` at once; a running one gets SIGTERM (its whole
    /// process group), then SIGKILL after `grace`. Returns once the run is finished.
    public func stop(id: Int64, grace: Duration? = nil) async throws -> Run {
        try await stop(id: id, grace: grace ?? stopGrace(of: id), cause: .user)
    }

    func stop(id: Int64, grace: Duration, cause: StopCause) async throws -> Run {
        let finished = try await hub.waitFor(
            runs: [id], timeout: grace + .seconds(5),
            after: { try await self.requestStop(id, grace: grace, cause: cause) }
        ) {
            let run = try await self.existingRun(id)
            return run.state.isFinished ? run : nil
        }
        // SIGKILL cannot be ignored, so only a process stuck in the kernel gets here unfinished.
        if let finished { return finished }
        return try await existingRun(id)
    }

    /// Asks a run to stop; false when it had already finished. Whether the run is running or queued
    /// is decided before the first suspension, so a queued run cannot be launched unseen meanwhile.
    @discardableResult
    func requestStop(_ id: Int64, grace: Duration, cause: StopCause) async throws -> Bool {
        if var entry = active[id] {
            if entry.stopCause == nil { entry.stopCause = cause }
            // Launching (no process yet): `didLaunch` sends the SIGTERM and records Stopping. Ending
            // (its final state is being written): nothing to record.
            let recordStopping = entry.state == .running
            if recordStopping { entry.state = .stopping }
            if entry.work == nil && fanOuts[id] == nil {
                // Launching: there is nothing to signal yet; `didLaunch` hands the stop to the enforcer.
                entry.pendingStopGrace = min(entry.pendingStopGrace ?? grace, grace)
            } else {
                entry.requestStop.yield(grace)
            }
            active[id] = entry
            if recordStopping {
                try await store.updateRun(id: id, RunUpdate(state: .stopping))
                hub.publish(.state(runID: id, state: .stopping))
            }
            return true
        }
        if throttle.cancel(id) {
            try await recordStoppedWhileQueued(id, cause: cause)
            return true
        }
        return try await !existingRun(id).state.isFinished
    }

    /// A queued run was taken out of its queue: it ends `Stopped`. Whoever follows its end hears of it
    /// even when the store cannot be written (a fan-out parent would wait for it forever).
    func recordStoppedWhileQueued(_ id: Int64, cause: StopCause) async throws {
        let known = created.removeValue(forKey: id)?.0
        limits.removeValue(forKey: id)
        let endedAt = now()
        var failure: (any Error)?
        do {
            try await store.updateRun(id: id, RunUpdate(state: .stopped, reason: cause.reason, endedAt: endedAt))
        } catch {
            failure = error
        }
        hub.publish(.state(runID: id, state: .stopped))
        var job = known?.job
        if known == nil { job = (try? await store.run(id: id))?.job }
        await ended(RunEnd(id: id, job: job, state: .stopped, endedAt: endedAt))
        if let failure { throw failure }
    }

    /// Deletes a finished run and its output (a fan-out parent with its children). An unfinished run
    /// is refused unless `force`, which stops it first.
    public func remove(id: Int64, force: Bool) async throws {
        let run = try await existingRun(id)
        if !run.state.isFinished {
            guard force else {
                throw ErrandError.conflict(
                    "run \(id) is \(run.state.rawValue); stop it first (errand stop \(id)) or remove it with --force")
            }
            let stopped = try await stop(id: id, grace: .seconds(2), cause: .user)
            guard stopped.state.isFinished else {
                throw ErrandError.conflict("run \(id) is still \(stopped.state.rawValue) after being stopped; try again shortly")
            }
        }
        if run.isFanOutParent {
            for child in try await store.runs(RunQuery(parent: id)) {
                try await store.deleteRun(id: child.id)
                hub.publish(.state(runID: child.id, state: nil))
            }
        }
        try await store.deleteRun(id: id)
        hub.publish(.state(runID: id, state: nil))
    }

    // MARK: - Reading

    func existingRun(_ id: Int64, reader: String = Receiving.defaultReader) async throws -> Run {
        guard let run = try await store.run(id: id, reader: reader) else { throw ErrandError.noSuchRun(id) }
        return run
    }
}
