import ErrandCore
import ErrandJobs
import ErrandStore
import Foundation
import Logging

/// A job host on a shared store, one of a fleet: jobs deployed, changed or removed through any instance are
/// taken up here (``reconcile()``, at every heartbeat and whenever a name is not known yet); a singleton
/// continuous job runs only while this instance holds its lease.
extension JobHost {
    /// The store's fleet side when several daemons share it; nil for a daemon of its own.
    nonisolated var fleet: (any FleetStore)? {
        store.isShared ? store as? any FleetStore : nil
    }

    /// Makes the jobs here what the store says: new jobs activated, changed ones switched over (new package,
    /// settings, enabled or not), removed ones stopped and forgotten. Another instance did the deploy and its
    /// checks; this one fetches the package when a run needs it.
    public func reconcile() async {
        guard fleet != nil, !shuttingDown else { return }
        let records: [JobRecord]
        do {
            records = try await store.jobs()
        } catch {
            return logger.debug("jobs not reconciled with the store: \(error)")
        }
        let names = Set(records.map(\.name))
        for name in jobs.keys.sorted() where !names.contains(name) {
            await forget(name)
        }
        for record in records {
            let previous = jobs[record.name]
            guard previous.map({ !Self.sameContent($0.record, record) }) ?? true else { continue }
            let job = DeployedJob(record: record)
            jobs[record.name] = job
            if var previous, previous.record.enabled != record.enabled {
                previous.record.enabled = record.enabled
                if Self.sameContent(previous.record, record) {
                    logger.info("job '\(record.name)' \(record.enabled ? "started" : "stopped") through another instance")
                    await record.enabled ? activate(job, catchUp: false) : deactivate(job)
                    continue
                }
            }
            logger.info("job '\(record.name)' \(previous == nil ? "deployed" : "changed") through another instance")
            await switchOver(from: previous, to: job)
        }
    }

    /// Whether two versions of a job record run the same way (its times, kept by the store at its own precision,
    /// do not count): a job deployed here is not taken for one changed elsewhere.
    static func sameContent(_ one: JobRecord, _ other: JobRecord) -> Bool {
        one.name == other.name && one.kind == other.kind && one.packageDigest == other.packageDigest
            && one.entryPoint == other.entryPoint && one.settings == other.settings && one.enabled == other.enabled
            && one.packageRoot == other.packageRoot
    }

    /// Reconciles when `name` is not known here: it may have been deployed through another instance a moment ago.
    func learn(_ name: String) async {
        if fleet != nil, stored(name) == nil { await reconcile() }
    }

    /// A job removed through another instance: what runs of it here is stopped (the remover deletes its history).
    private func forget(_ name: String) async {
        guard let job = jobs[name] else { return }
        logger.info("job '\(name)' removed through another instance")
        cancelSupervisor(name)
        jobs[name] = nil
        agenda.remove(name)
        agendaDidChange()
        try? await stopActive(name, grace: job.settings.stoppingWaitTime(for: job.kind))
        supervisors[name] = nil
        await releaseLease(of: name)
    }

    /// Stops what a disabled job runs here: its schedule, or its continuous run (shutdown file, SIGTERM, then
    /// SIGKILL after `stopping_wait_time`). ``disable(_:)`` and a disable through another instance end here.
    func deactivate(_ job: DeployedJob) async {
        if job.kind == .scheduled {
            agenda.remove(job.name)
            agendaDidChange()
        } else if supervisors[job.name] != nil {
            supervisors[job.name]?.phase = .stopping
            cancelSupervisor(job.name)
            try? await stopActive(job.name, grace: job.settings.stoppingWaitTime(for: .continuous))
            await supervisorExit(job.name)
            supervisors[job.name] = nil
        }
    }

    /// The job's unfinished runs: this instance's and, on a fleet, every instance's, so that a triggered or
    /// scheduled job's overlap policy (skip, replace) holds across the fleet. When the store cannot be read, this
    /// instance's alone.
    func unfinishedRuns(of name: String) async -> [Int64] {
        let local = activeRuns[name] ?? []
        guard fleet != nil else { return local }
        do {
            let unfinished = try await store.runs(RunQuery(states: RunState.allCases.filter { !$0.isFinished }, jobs: [name]))
            return Set(local).union(unfinished.map(\.id)).sorted()
        } catch {
            logger.warning("the runs of '\(name)' on other instances could not be read; the overlap policy sees this instance's: \(error)")
            return local
        }
    }

    // MARK: - Singletons

    static func leaseName(of job: String) -> String { "job:\(job.lowercased())" }

    /// Whether this instance may run the job now: always, unless it is a singleton on a fleet, whose lease this
    /// instance must hold (taken here when free).
    func mayRun(_ job: DeployedJob) async -> Bool {
        guard job.settings.isSingleton, let fleet else { return true }
        // A daemon shutting down takes no lease: another instance will.
        guard !shuttingDown else { return false }
        let lease = Self.leaseName(of: job.name)
        let taken = now()
        do {
            let held = try await fleet.acquireLease(
                lease, holder: coordinator.configuration.instanceName, leaseTime: coordinator.configuration.fleet.leaseTime)
            if held, leasesTaken[job.name] == nil {
                leasesTaken[job.name] = taken
                logger.info("singleton job '\(job.name)' runs on this instance (lease \(lease) taken)")
            }
            return held
        } catch {
            logger.warning("the lease of singleton job '\(job.name)' could not be asked for: \(error)")
            return false
        }
    }

    /// Gives up a singleton's lease (stopped, removed, or shutting down) so another instance takes it at once.
    func releaseLease(of name: String) async {
        guard leasesTaken.removeValue(forKey: name) != nil, let fleet else { return }
        try? await fleet.releaseLease(Self.leaseName(of: name), holder: coordinator.configuration.instanceName)
        await announce(.lease)
    }

    /// Another instance released a lease: singletons waiting for one ask now rather than at their next try.
    public func leaseReleased() {
        for (name, supervision) in supervisors where supervision.phase == .inactive {
            endBackoff(name, slept: true)
        }
    }

    /// Tells the other instances of a fleet (best effort: they also look at every heartbeat).
    func announce(_ topic: FleetNotice.Topic) async {
        guard fleet != nil, let notifier = store as? any FleetNotifier else { return }
        try? await notifier.notify(FleetNotice(sender: coordinator.configuration.instanceName, topic: topic))
    }

    /// After a heartbeat that began at `asOf`: the leases this instance still holds. A singleton whose lease is not
    /// among them (expired during a pause, or this instance was cut off: `held` empty) is stopped now, so that it
    /// never runs on two instances once another takes the lease.
    public func leasesHeld(_ held: Set<String>, asOf: Date) async {
        for (name, taken) in leasesTaken where taken < asOf && !held.contains(Self.leaseName(of: name)) {
            leasesTaken[name] = nil
            logger.warning("singleton job '\(name)' lost its lease: its run here is stopped")
            await restartContinuous(name)
        }
    }
}
