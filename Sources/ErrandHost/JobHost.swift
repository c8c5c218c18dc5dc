import ErrandCore
import ErrandJobs
import ErrandRunner
import ErrandSchedule
import ErrandStore
import Foundation
import Logging
import ServiceLifecycle

/// Deployed jobs on this daemon: deploys them, triggers them under their overlap policy, supervises
/// continuous ones, fires scheduled ones, retries failed runs and prunes history. Runs themselves are
/// the coordinator's; the job host decides when to start them and what they look like.
///
/// It is a `Service`: its `run()` is the scheduler loop, which ends on graceful shutdown.
public actor JobHost: Service {
    /// A continuous job's supervisor as the API shows it.
    struct Supervision {
        enum Phase: String {
            case starting = "Starting"
            case running = "Running"
            case pendingRestart = "PendingRestart"
            case stopping = "Stopping"
            case stopped = "Stopped"
            /// A singleton whose lease another instance of the fleet holds (Kudu's word).
            case inactive = "InactiveInstance"
        }

        var phase = Phase.starting
        var nextAttemptAt: Date?
        var backoff = RestartBackoff()
        /// Its supervisor loop, while one runs.
        var loop: SupervisorLoop?
        /// The run was stopped to be replaced (new version or settings): start again without backoff.
        var restartNow = false
    }

    let coordinator: RunCoordinator
    let store: any Store
    let packages: PackageStore
    public let configuration: JobHostConfiguration
    /// Every wait (schedules, backoff, retries) and every recorded time comes from here.
    let clock: any HostClock
    let now: @Sendable () -> Date
    let logger: Logger

    /// Every deployed job, by its stored name. Names are unique ignoring case: look up what callers give with
    /// ``existing(_:)`` or ``stored(_:)``, which ignore case, and go on with the job's own `name`.
    var jobs: [String: DeployedJob] = [:]
    /// Unfinished runs per job (launching, queued or running), oldest first.
    var activeRuns: [String: [Int64]] = [:]
    /// Starts in progress per job: they count as running for the overlap policy before their run exists.
    var starting: [String: Int] = [:]
    /// Runs that ended before `start` returned them (so they are never added to `activeRuns`).
    var endedEarly: Set<Int64> = []
    /// Per run: the fresh working copy and shutdown file to clean up when it ends.
    var leftovers: [Int64: [URL]] = [:]
    var supervisors: [String: Supervision] = [:]
    /// Continuous supervisors waiting for their run to end.
    var endWaiters: [Int64: CheckedContinuation<RunEnd, Never>] = [:]
    var unclaimedEnds: [Int64: RunEnd] = [:]
    var agenda = ScheduleQueue()
    /// The scheduler loop's sleep: resumed at the earliest tick or when the agenda changes.
    var wakeUp: CheckedContinuation<Void, Never>?
    var sleepGeneration = 0
    var shuttingDown = false
    /// When each singleton's lease was taken by this instance (a heartbeat older than that cannot say it is lost).
    var leasesTaken: [String: Date] = [:]
    /// Work started in the background (ticks, catch-up, retries, housekeeping, supervisors): each
    /// becomes a child task of ``run()``, so none outlives the service.
    private let backgroundWork: AsyncStream<@Sendable () async -> Void>
    private let backgroundQueue: AsyncStream<@Sendable () async -> Void>.Continuation

    public init(
        coordinator: RunCoordinator, configuration: JobHostConfiguration, clock: any HostClock = SystemClock(),
        logger: Logger = Logger(label: "errand.jobs")
    ) {
        self.coordinator = coordinator
        self.store = coordinator.store
        self.configuration = configuration
        self.packages = PackageStore(directory: configuration.packagesDirectory, limits: configuration.packageLimits)
        self.clock = clock
        self.now = { clock.now }
        self.logger = logger
        (backgroundWork, backgroundQueue) = AsyncStream.makeStream()
    }

    /// Where request bodies are written while they arrive (inside the data dir, beside the packages).
    public nonisolated var uploadsDirectory: URL {
        configuration.packagesDirectory.appendingPathComponent("uploads", isDirectory: true)
    }

    // MARK: - Loading

    /// Reads every job from the store, learns which of their runs are unfinished, removes unused
    /// packages, starts enabled continuous jobs and plans schedules (applying the missed policy).
    /// Call once, after `RunCoordinator.recover()` and before serving requests.
    public func load() async throws {
        await coordinator.observeEnds { [weak self] end in await self?.runEnded(end) }
        let records = try await store.jobs()
        for record in records {
            jobs[record.name] = DeployedJob(record: record)
        }
        let unfinished = try await store.runs(RunQuery(states: RunState.allCases.filter { !$0.isFinished }))
        // On a shared store other instances' runs are theirs: they end there, and this host never hears of it.
        for run in unfinished where !store.isShared || run.location == coordinator.configuration.instanceName {
            if let job = run.job { activeRuns[job, default: []].append(run.id) }
        }
        packages.collectGarbage(keeping: Set(records.map(\.packageDigest)))
        try? FileManager.default.removeItem(at: uploadsDirectory)  // uploads cut short by a crash
        for job in jobs.values.sorted(by: { $0.name < $1.name }) {
            await activate(job, catchUp: true)
        }
    }

    /// Starts what a job needs after loading or deploying: the supervisor of a continuous job, the
    /// next tick of a scheduled one.
    func activate(_ job: DeployedJob, catchUp: Bool) async {
        // Settings that no longer load (stored by an older version with other rules, or edited by hand)
        // leave the job stopped with its problems shown, rather than running it on guesses.
        let errors = job.settings.problems(for: job.kind).filter { $0.severity == .error }
        guard errors.isEmpty else {
            supervisors[job.name] = nil
            agenda.remove(job.name)
            logger.warning(
                "job \(job.name) left stopped: its settings.job has errors: \(errors.map(\.message).joined(separator: "; "))")
            return
        }
        switch job.kind {
        case .continuous:
            if job.record.enabled { startSupervisor(job.name) } else { supervisors[job.name] = nil }
        case .scheduled:
            if job.record.enabled { await plan(job, catchUp: catchUp) } else { agenda.remove(job.name) }
        case .triggered, .adhoc:
            break
        }
    }

    // MARK: - Service

    /// The scheduler loop and every piece of background work, as child tasks, until graceful shutdown
    /// (or cancellation). It returns without waiting for runs to end: the coordinator stops them after.
    public func run() async throws {
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withDiscardingTaskGroup { group in
                    group.addTask { await self.schedulerLoop() }
                    for await work in backgroundWork { group.addTask { await work() } }
                    group.cancelAll()  // shut down: backoffs and delays end now
                }
            } onGracefulShutdown: {
                Task { await self.shutDown() }  // The handler is synchronous.
            }
        } onCancel: {
            Task { await self.shutDown() }
        }
    }

    /// Starts `work` as a child task of ``run()`` (once it runs, when called before).
    func inBackground(_ work: @escaping @Sendable () async -> Void) {
        backgroundQueue.yield(work)
    }

    private func shutDown() {
        shuttingDown = true
        for name in supervisors.keys { cancelSupervisor(name) }
        // Supervisors waiting for their run's end are released now: the runs end after the job host.
        for (id, waiter) in endWaiters { waiter.resume(returning: RunEnd(id: id, job: nil, state: .stopped, endedAt: now())) }
        endWaiters = [:]
        backgroundQueue.finish()
        wake()
    }

    // MARK: - Reading

    public func list() async throws -> [JobView] {
        let latest = try await store.latestRunOfEachJob()
        return jobs.values.sorted(by: { $0.name < $1.name }).map { view(of: $0, latestRun: latest[$0.name]) }
    }

    public func job(named name: String) async throws -> JobView {
        await learn(name)
        return try await view(of: existing(name))
    }

    /// The job's runs, newest first.
    public func history(_ name: String, limit: Int? = nil) async throws -> [Run] {
        await learn(name)
        let name = try existing(name).name
        return try await store.runs(RunQuery(newest: limit, jobs: [name])).reversed()
    }

    /// `settings.job` as stored.
    public func settings(of name: String) throws -> [String: JSONValue] {
        try existing(name).settings.raw
    }

    /// The job named `name`, ignoring case (as Kudu's job folders); callers go on with its own `name`.
    func existing(_ name: String) throws(ErrandError) -> DeployedJob {
        guard let job = stored(name) else {
            throw ErrandError(.notFound, "no job named '\(name)'; `errand job list` shows the deployed jobs")
        }
        return job
    }

    /// The job whose name equals `name` ignoring case, if any (names are ASCII, so ASCII folding is enough).
    func stored(_ name: String) -> DeployedJob? {
        if let job = jobs[name] { return job }
        let folded = name.lowercased()
        return jobs.values.first { $0.name.lowercased() == folded }
    }

    /// The latest real run is shown, not a skipped tick's record (``RunQuery/realOnly``).
    func view(of job: DeployedJob) async throws -> JobView {
        view(of: job, latestRun: try await store.runs(RunQuery(newest: 1, jobs: [job.name], realOnly: true)).last)
    }

    func view(of job: DeployedJob, latestRun latest: Run?) -> JobView {
        let active = activeRuns[job.name] ?? []
        let status: String
        var nextAttemptAt: Date?
        var restarts = 0
        if job.kind == .continuous {
            let supervision = supervisors[job.name]
            status = supervision?.phase.rawValue ?? Supervision.Phase.stopped.rawValue
            nextAttemptAt = supervision?.nextAttemptAt
            restarts = supervision?.backoff.restarts ?? 0
        } else if !active.isEmpty || (starting[job.name] ?? 0) > 0 {
            status = "Running"
        } else {
            status = job.kind == .scheduled && !job.record.enabled ? "Stopped" : "Idle"
        }
        let schedule = job.settings.schedule
        let nextRuns =
            job.kind == .scheduled && job.record.enabled
            ? schedule?.schedule.next(5, after: now(), in: job.timeZone) ?? [] : []
        return JobView(
            name: job.name, kind: job.kind.name, status: status, enabled: job.record.enabled,
            command: job.record.entryPoint, schedule: job.scheduleText, scheduleDescription: schedule?.description,
            timeZone: schedule == nil ? nil : job.timeZone.identifier, nextRuns: nextRuns, nextAttemptAt: nextAttemptAt,
            restarts: restarts, activeRuns: active, latestRun: latest, settings: job.settings.raw,
            packageRoot: job.record.packageRoot.isEmpty ? nil : job.record.packageRoot,
            problems: job.settings.problems(for: job.kind), historySize: historySize(of: job),
            packageDigest: job.record.packageDigest, createdAt: job.record.createdAt, updatedAt: job.record.updatedAt)
    }

    func historySize(of job: DeployedJob) -> Int {
        job.settings.raw["history_size"] == nil ? configuration.defaultHistorySize : job.settings.historySize
    }

    // MARK: - Triggering

    /// Starts a run of a triggered or scheduled job by hand (CLI, API, dashboard), under the job's
    /// overlap policy: `skip` refuses while a run is going (409, naming the run), `queue` waits for it,
    /// `allow` runs beside it, `replace` stops it first. `argumentText` is the arguments as one string when
    /// the client sent them so (Kudu's `?arguments=`): the run gets it as `WEBJOBS_COMMAND_ARGUMENTS`.
    public func trigger(
        _ name: String, arguments: [String], trigger: TriggerKind = .manual, detail: String? = nil, argumentText: String? = nil
    ) async throws -> Run {
        await learn(name)
        let job = try existing(name)
        let name = job.name
        guard job.kind != .continuous else {
            throw ErrandError.conflict(
                "'\(name)' is a continuous job: it is started and kept running by the daemon; use `errand job start \(name)`")
        }
        if arguments.contains(where: { $0.contains("\0") }) { throw ErrandError.badRequest("arguments cannot contain NUL bytes") }
        let busy = await unfinishedRuns(of: name)
        switch job.settings.overlap {
        case .skip:
            if !busy.isEmpty || (starting[name] ?? 0) > 0 {
                let which = busy.first.map { "run \($0)" } ?? "a run"
                throw ErrandError.conflict(
                    "job '\(name)' is already running (\(which)) and its overlap policy is skip; wait for it, stop it"
                        + (busy.first.map { " (errand stop \($0))" } ?? "")
                        + ", or set \"overlap\" to queue, allow or replace in its settings")
            }
        case .replace:
            try await stopActive(name, grace: job.settings.stoppingWaitTime(for: job.kind), everywhere: true)
        case .queue, .allow:
            break
        }
        guard
            let run = try await start(
                job, arguments: arguments, trigger: trigger, detail: detail, tick: nil, argumentText: argumentText)
        else {
            throw ErrandError(.internal, "the run of '\(name)' was not created")
        }
        return run
    }

    /// Stops every unfinished run of a job here (or, `everywhere`, on every instance of a fleet) and waits for them to end.
    func stopActive(_ name: String, grace: Duration, everywhere: Bool = false) async throws {
        for id in everywhere ? await unfinishedRuns(of: name) : activeRuns[name] ?? [] {
            _ = try await coordinator.stop(id: id, grace: grace)
        }
    }

    /// Creates and starts one run of `job`; nil when `tick` was claimed before.
    func start(
        _ job: DeployedJob, arguments: [String], trigger: TriggerKind, detail: String?, tick: Date?, attempt: Int = 1,
        parentId: Int64? = nil, argumentText: String? = nil, notBefore: Date? = nil
    ) async throws -> Run? {
        starting[job.name, default: 0] += 1
        defer { starting[job.name, default: 1] -= 1 }
        let prepared = try await prepare(job, arguments: arguments, argumentText: argumentText)
        var plan = prepared.plan
        plan.run.trigger = trigger
        plan.run.triggerDetail = detail
        plan.run.attempt = attempt
        plan.run.parentId = parentId
        plan.run.notBefore = notBefore
        plan.tick = tick
        if let tick { plan.run.environment["ERRAND_SCHEDULED_FOR"] = tick.formatted(.iso8601) }
        let run: Run?
        do {
            run = try await coordinator.start(plan)
        } catch {
            for url in prepared.leftovers { try? FileManager.default.removeItem(at: url) }
            throw error
        }
        guard let run else {
            for url in prepared.leftovers { try? FileManager.default.removeItem(at: url) }
            return nil
        }
        if endedEarly.remove(run.id) != nil {
            for url in prepared.leftovers { try? FileManager.default.removeItem(at: url) }
        } else {
            activeRuns[job.name, default: []].append(run.id)
            leftovers[run.id] = prepared.leftovers
        }
        // The new run counts against history_size at once (pruning only at its end would keep one run too many while it runs).
        await prune(job.name)
        return run
    }

    /// The run's plan: command, working folder (the package, or a fresh copy), environment, limits.
    /// Off the actor: its file work (folders, the copy) would otherwise hold up every other tick and trigger.
    /// A run launched as another user gets its own environment, not the daemon's, and its folders are given to it.
    nonisolated func prepare(
        _ job: DeployedJob, arguments: [String], argumentText: String? = nil
    ) async throws -> (plan: RunPlan, leftovers: [URL]) {
        let user = try coordinator.configuration.runAs.user(requested: job.settings.runAs)
        let account = try user.map { name throws(ErrandError) in try UserAccount.named(name) }
        let packageRoot = try await localPackage(job.record.packageDigest)
        var leftovers: [URL] = []
        let token = UUID().uuidString
        let folders = try JobFolders(jobsDirectory: configuration.jobsDirectory, job: job.name, account: account)
        let shutdownFile = folders.shutdown.appendingPathComponent(token)
        leftovers.append(shutdownFile)
        var workingDirectory = packageRoot
        if !job.isInPlace {
            workingDirectory = folders.copies.appendingPathComponent(token, isDirectory: true)
            try folders.copy(packageRoot, to: workingDirectory, job: job.name)
            leftovers.append(workingDirectory)
        } else if account != nil {
            // The package store is the daemon's alone: a run as another user works in place in a copy of its own,
            // made once per deployed version and kept across runs, as the package folder itself would be.
            workingDirectory = folders.site(digest: job.record.packageDigest)
            if !FileManager.default.fileExists(atPath: workingDirectory.path) {
                try folders.copy(packageRoot, to: workingDirectory, job: job.name)
            }
        }
        let environment = JobEnvironment(
            job: job.name, kind: job.kind, workingDirectory: workingDirectory.path, dataPath: folders.data.path,
            shutdownFile: shutdownFile.path, arguments: arguments, argumentText: argumentText
        ).variables(base: account?.loginEnvironment ?? configuration.baseEnvironment, settings: job.settings.environment)
        let settings = job.settings
        let plan = RunPlan(
            run: NewRun(
                name: job.name, argv: job.record.entryPoint + arguments, workingDirectory: workingDirectory.path,
                environment: environment, throttleGroup: "job:" + job.name,
                timeout: settings.timeout.map(\.seconds), instance: coordinator.configuration.instanceName,
                createdAt: now(), job: job.name, runAs: user),
            throttleLimit: settings.overlap == .allow && job.kind != .continuous ? 1_000_000 : 1,
            stopGrace: settings.stoppingWaitTime(for: job.kind), idleTimeout: settings.idleTimeout,
            killMode: settings.killMode)
        return (plan, leftovers)
    }

    // MARK: - Runs ending

    /// Told by the coordinator about every run that ends: cleans up, wakes the supervisor, retries,
    /// prunes the job's history.
    func runEnded(_ end: RunEnd) async {
        guard let name = end.job else { return }
        if var runs = activeRuns[name], let index = runs.firstIndex(of: end.id) {
            runs.remove(at: index)
            activeRuns[name] = runs.isEmpty ? nil : runs
        } else if (starting[name] ?? 0) > 0 {
            endedEarly.insert(end.id)
        }
        for url in leftovers.removeValue(forKey: end.id) ?? [] { try? FileManager.default.removeItem(at: url) }
        if let waiter = endWaiters.removeValue(forKey: end.id) {
            waiter.resume(returning: end)
        } else if jobs[name]?.kind == .continuous {
            unclaimedEnds[end.id] = end
        }
        if let job = jobs[name], end.state == .failed, job.kind != .continuous { await retryIfAllowed(job, end) }
        await prune(name)
    }

    /// Creates the next attempt of a failed run at once, `NotStarted` until the retry policy's delay has
    /// passed (its "not before" time): the retry is in the store, so a restart of the daemon keeps it.
    func retryIfAllowed(_ job: DeployedJob, _ end: RunEnd) async {
        guard !shuttingDown, let run = try? await store.run(id: end.id) else { return }
        let retry = run.attempt  // attempt 1 failed → retry number 1
        guard let delay = job.settings.retries.delay(beforeRetry: retry) else { return }
        let arguments = Array(run.argv.dropFirst(job.record.entryPoint.count))
        logger.info("run \(run.id) of '\(job.name)' failed; retry \(retry) of \(job.settings.retries.count) in \(delay)")
        do {
            _ = try await start(
                job, arguments: arguments, trigger: .retry, detail: "retry \(run.attempt) of run \(run.id)", tick: nil,
                attempt: run.attempt + 1, parentId: run.parentId ?? run.id, notBefore: now().addingTimeInterval(delay.seconds))
        } catch {
            logger.error("could not retry run \(run.id) of '\(job.name)': \(error)")
        }
    }

    /// Deletes the oldest finished runs (and their output) beyond the job's `history_size`.
    func prune(_ name: String) async {
        guard let job = jobs[name] else { return }
        let keep = historySize(of: job)
        do {
            let runs = try await store.runs(RunQuery(jobs: [name]))
            guard runs.count > keep else { return }
            let removable = runs.filter(\.state.isFinished)
            for run in removable.prefix(runs.count - keep) {
                try await store.deleteRun(id: run.id)
                coordinator.hub.publish(.state(runID: run.id, state: nil))
            }
        } catch {
            logger.error("could not prune the history of '\(name)': \(error)")
        }
    }

    // MARK: - Removing

    /// Deletes a job: its package link, its history and its data folder. A job with a run going is
    /// refused unless `force`, which stops the runs first.
    public func remove(_ name: String, force: Bool) async throws {
        await learn(name)
        let job = try existing(name)
        let name = job.name
        let busy = activeRuns[name] ?? []
        if !busy.isEmpty && job.kind != .continuous && !force {
            throw ErrandError.conflict(
                "job '\(name)' has a run going (run \(busy[0])); wait for it, stop it, or remove the job with --force")
        }
        if job.kind == .continuous, var supervision = supervisors[name] {
            supervision.phase = .stopping
            supervisors[name] = supervision
            cancelSupervisor(name)
        }
        jobs[name] = nil
        agenda.remove(name)
        agendaDidChange()
        try await stopActive(name, grace: job.settings.stoppingWaitTime(for: job.kind))
        supervisors[name] = nil
        for run in try await store.runs(RunQuery(jobs: [name])) {
            try await store.deleteRun(id: run.id)
            coordinator.hub.publish(.state(runID: run.id, state: nil))
        }
        try await store.deleteJob(named: name)
        await announce(.jobs)
        if let jobName = JobName(rawValue: name) { try? packages.deactivate(jobName) }
        try? FileManager.default.removeItem(at: configuration.jobsDirectory.appendingPathComponent(name))
        logger.info("job '\(name)' removed")
    }
}
