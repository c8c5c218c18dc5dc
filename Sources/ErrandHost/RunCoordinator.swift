import ErrandCore
import ErrandRemote
import ErrandRunner
import ErrandStore
import Foundation
import Logging
import ServiceLifecycle

/// The daemon's executor of runs: creates them, queues them behind their throttle group, launches
/// them, captures their output and stops them. What happens to a run is decided by its pure
/// ``RunLifecycle``; this actor only performs the actions it returns (records, signals, timers), so
/// every state a run is recorded in comes from the machine. It is a `Service`: its `run()` owns every
/// run's task, so shutting it down stops the runs and leaves no child process behind.
public actor RunCoordinator: Service {
    /// A run this daemon is responsible for, from its creation (or recovery) until its end is recorded.
    struct TrackedRun {
        var lifecycle = RunLifecycle()
        /// The run as created or read at launch; nil for a run queued before a restart until it launches.
        var run: Run?
        /// The environment of a run this daemon created, kept until its launch (no store read on the hot path).
        var environment: [String: String]?
        /// What the plan said beyond the stored fields (lost for runs queued across a restart, which then
        /// get the defaults).
        var stopGrace: Duration?
        var idleTimeout: Duration?
        var killMode: KillMode?
        /// The launched process (or remote run) to signal; nil until launched.
        var work: (any LaunchedWork)?
        var startedAt: Date?
        /// Created (with the current time) when the run is asked to stop: `ERRAND_SHUTDOWN_FILE`.
        var shutdownFile: String?
        /// Grace timers armed by ``RunLifecycle/Action/terminate(grace:)``; the run's task sleeps each out.
        let graceTimers: AsyncStream<Duration>
        let armGraceTimer: AsyncStream<Duration>.Continuation
        /// Callers of `start` waiting for the process to exist.
        var launchWaiters: [CheckedContinuation<Void, Never>] = []

        init(lifecycle: RunLifecycle = RunLifecycle(), run: Run? = nil, environment: [String: String]? = nil) {
            self.lifecycle = lifecycle
            self.run = run
            self.environment = environment
            (graceTimers, armGraceTimer) = AsyncStream<Duration>.makeStream()
        }
    }

    public nonisolated let store: any Store
    public let hub: EventHub
    /// Reads of runs and output, off this actor.
    public nonisolated let reader: RunReader
    let launcher: any ProcessLauncher
    /// How fan-out children reach their hosts.
    let remoteLaunchers: RemoteLaunchers
    let configuration: HostConfiguration
    /// Every wait (timeouts, graces, idle limits) and every recorded time comes from here.
    let clock: any HostClock
    let now: @Sendable () -> Date
    /// When this daemon's host was made (its instance's start time).
    public nonisolated let startedAt: Date
    let logger: Logger

    var throttle: Throttle
    /// Every run this daemon is responsible for: queued, launching, running or stopping.
    var tracked: [Int64: TrackedRun] = [:]
    private var endObserver: (@Sendable (RunEnd) async -> Void)?
    /// Fan-out parents being supervised, and where each of their unfinished children runs.
    var fanOuts: [Int64: FanOut] = [:]
    var remoteChildren: [Int64: RemoteChild] = [:]
    var acceptingRuns = true
    private let launches: AsyncStream<Int64>
    let launchQueue: AsyncStream<Int64>.Continuation
    /// Queued runs with a "not before" time (retries waiting out their delay), for ``holdUntilDue()``.
    private let holds: AsyncStream<(id: Int64, due: Date)>
    private let holdQueue: AsyncStream<(id: Int64, due: Date)>.Continuation

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
        self.reader = RunReader(store: store, hub: hub)
        self.clock = clock
        self.now = { clock.now }
        self.startedAt = clock.now
        self.logger = logger
        self.throttle = Throttle(defaultLimit: configuration.throttleLimit)
        (launches, launchQueue) = AsyncStream<Int64>.makeStream()
        (holds, holdQueue) = AsyncStream<(id: Int64, due: Date)>.makeStream()
    }

    // MARK: - Service

    /// Runs every launched run as a child task until graceful shutdown, when running runs are
    /// stopped and recorded `Stopped`. Call ``recover()`` first.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.holdUntilDue() }
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
        // What is queued stays queued (and is queued again after the restart).
        let ids = tracked.filter { $0.value.lifecycle.phase != .queued }.keys
        if !ids.isEmpty { logger.info("stopping \(ids.count) running run(s) before shutdown") }
        await withTaskGroup(of: Void.self) { group in
            for id in ids {
                group.addTask { _ = try? await self.stop(id: id, grace: self.configuration.shutdownGrace, cause: .shutdown) }
            }
        }
        launchQueue.finish()
        holdQueue.finish()
    }

    /// Each held run waits for its time in a child task sleeping on the clock, then joins its throttle
    /// queue. At shutdown the sleeps end; the runs stay `NotStarted` in the store, held again at restart.
    private nonisolated func holdUntilDue() async {
        await withDiscardingTaskGroup { group in
            for await (id, due) in holds {
                group.addTask {
                    do { try await self.clock.sleep(until: due) } catch { return }
                    await self.release(id)
                }
            }
            group.cancelAll()
        }
    }

    /// Queues a created or recovered run behind its throttle group, or holds it until its not-before time.
    func enqueue(_ run: Run) {
        if let due = run.notBefore, due > now() {
            holdQueue.yield((run.id, due))
        } else {
            throttle.enqueue(run.id, group: run.throttleGroup)
        }
    }

    /// A held run's time has come: it joins its throttle queue (unless it was stopped meanwhile).
    private func release(_ id: Int64) {
        guard acceptingRuns, let entry = tracked[id], entry.lifecycle.phase == .queued, let run = entry.run else { return }
        throttle.enqueue(id, group: run.throttleGroup)
        dispatch()
    }

    /// Runs left unfinished by a daemon that died: ``RunLifecycle/recovery(of:)`` decides which are
    /// queued again and which are recorded `Failed`; the leftover processes of those that were running
    /// are killed (after checking their `ERRAND_RUN_ID`). Call it once, before serving requests.
    public func recover() async throws {
        var unfinished = try await store.runs(RunQuery(states: RunState.allCases.filter { !$0.isFinished }))
        if store.isShared {
            // Other daemons on the store own their runs; which of them died is the fleet's question, not ours.
            unfinished = unfinished.filter { $0.location == configuration.instanceName }
        }
        for run in unfinished {
            switch RunLifecycle.recovery(of: run) {
            case .requeue:
                tracked[run.id] = TrackedRun(run: run)
                enqueue(run)
            case .fail(var reason):
                if await Self.killLeftover(of: run) { reason += "; its leftover processes were killed" }
                try await store.updateRun(id: run.id, RunUpdate(state: .failed, reason: reason, endedAt: now()))
                logger.warning("run \(run.id) recorded Failed: \(reason)")
            }
        }
        if store.isShared { await killLeftoversOfDeclaredDeath() }
        dispatch()
    }

    /// Kills what is left of a dead daemon's run (a /proc scan: done off the actor).
    nonisolated static func killLeftover(of run: Run) async -> Bool {
        guard let pid = run.pid, let leftover = ProcessGroup.leftover(pid: pid, runID: run.id) else { return false }
        leftover.send(SIGKILL)
        return true
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
        let runAs = configuration.runAs.defaultUser
        let environment = try await Self.environment(of: request, runAs: runAs)
        if let session = request.session, try await store.session(named: session) == nil {
            throw ErrandError.notFound("no session named '\(session)'; create it with `errand session new \(session)`")
        }
        if let target = request.instance, target != configuration.instanceName {
            return try await startElsewhere(request, on: target, environment: environment, runAs: runAs, trigger: trigger)
        }
        try await Self.checkCommand(request, environment: environment)
        let plan = RunPlan(
            run: NewRun(
                name: request.name, argv: request.argv, workingDirectory: request.workingDirectory,
                environment: environment, throttleGroup: request.throttleGroup ?? ThrottleGroup.default,
                timeout: request.timeout, instance: configuration.instanceName, trigger: trigger, createdAt: now(),
                session: request.session, runAs: runAs),
            throttleLimit: request.throttleLimit)
        // Without a tick the run is always created.
        return try await start(plan)!
    }

    /// What the run is told: the caller's environment, else the daemon's, or, for a run as another user, a
    /// login's (nothing of the daemon's own reaches another user).
    private nonisolated static func environment(
        of request: RunRequest, runAs: String?
    ) async throws(ErrandError) -> [String: String] {
        guard let runAs else { return request.environment ?? ProcessInfo.processInfo.environment }
        let account = try UserAccount.named(runAs)
        return request.environment.map(account.identifying) ?? account.loginEnvironment
    }

    /// The working directory exists and the program is found in the run's own PATH (file-system work,
    /// done off the actor).
    private nonisolated static func checkCommand(_ request: RunRequest, environment: [String: String]) async throws {
        if let directory = request.workingDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ErrandError.badRequest("working directory '\(directory)' does not exist or is not a directory")
            }
        }
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
        var entry = TrackedRun(run: run, environment: plan.run.environment)
        entry.stopGrace = plan.stopGrace
        entry.idleTimeout = plan.idleTimeout
        entry.killMode = plan.killMode
        tracked[run.id] = entry
        enqueue(run)
        dispatch()
        guard let phase = tracked[run.id]?.lifecycle.phase, phase != .queued else { return run }  // queued: as created
        if phase == .launching {
            await withCheckedContinuation { tracked[run.id]?.launchWaiters.append($0) ?? $0.resume() }
        }
        // Still running: what the store holds is known here, so no read is needed.
        if let launched = tracked[run.id], let work = launched.work, !launched.lifecycle.isFinished {
            var current = run
            current.state = launched.lifecycle.recordedState
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
            _ = transition(id, .slotGiven)
            launchQueue.yield(id)
        }
    }

    /// The grace a stop without a caller-given grace gets: the run's plan, else the daemon's default.
    func stopGrace(of id: Int64) -> Duration {
        tracked[id]?.stopGrace ?? configuration.stopGrace
    }

    /// Tells whoever follows run ends: a fan-out parent about its child, the job host about its runs.
    func ended(_ end: RunEnd) async {
        childEnded(end)
        await endObserver?(end)
    }

    func existingRun(_ id: Int64) async throws -> Run {
        try await reader.run(id: id)
    }
}
