import ErrandCore
import ErrandJobs
import ErrandStore
import Foundation
import Logging

/// Continuous jobs: one supervisor task per enabled job keeps a process running, restarting it per
/// the `restart` policy with `RestartBackoff` between quick exits.
extension JobHost {
    /// `errand job start NAME`: enables the job (kept across restarts) and starts its supervisor (a
    /// continuous job) or its schedule (a scheduled job).
    public func enable(_ name: String) async throws -> JobView {
        await learn(name)
        var job = try existing(name)
        let name = job.name
        guard job.kind == .continuous || job.kind == .scheduled else {
            throw ErrandError.conflict(
                "'\(name)' is a triggered job: it runs when triggered (`errand job trigger \(name)`); start and stop are for continuous and scheduled jobs"
            )
        }
        if !job.record.enabled {
            job.record.enabled = true
            try await store.saveJob(job.record)
            jobs[name] = job
            await announce(.jobs)
        }
        await activate(job, catchUp: false)
        return try await view(of: job)
    }

    /// `errand job stop NAME`: disables the job (kept across restarts). A continuous job's run gets the
    /// shutdown file and SIGTERM, then SIGKILL after `stopping_wait_time`; a scheduled job stops firing
    /// (a run going is left to finish).
    public func disable(_ name: String) async throws -> JobView {
        await learn(name)
        var job = try existing(name)
        let name = job.name
        guard job.kind == .continuous || job.kind == .scheduled else {
            throw ErrandError.conflict(
                "'\(name)' is a triggered job: stop one of its runs with `errand stop RUN`; start and stop are for continuous and scheduled jobs"
            )
        }
        if job.record.enabled {
            job.record.enabled = false
            try await store.saveJob(job.record)
            jobs[name] = job
            await announce(.jobs)
        }
        await deactivate(job)
        return try await view(of: job)
    }

    func startSupervisor(_ name: String) {
        guard supervisors[name]?.loop == nil, !shuttingDown else { return }
        var supervision = supervisors[name] ?? Supervision()
        supervision.phase = .starting
        supervision.loop = SupervisorLoop()
        supervisors[name] = supervision
        inBackground { await self.supervise(name) }
    }

    /// Asks the job's supervisor loop to end: at once when it is waiting out a backoff, else once its
    /// run has ended.
    func cancelSupervisor(_ name: String) {
        supervisors[name]?.loop?.cancelled = true
        endBackoff(name, slept: false)
    }

    /// Returns once the job's supervisor loop has ended.
    func supervisorExit(_ name: String) async {
        guard supervisors[name]?.loop != nil else { return }
        await withCheckedContinuation { supervisors[name]?.loop?.exitWaiters.append($0) ?? $0.resume() }
    }

    private func supervisorCancelled(_ name: String) -> Bool {
        supervisors[name]?.loop?.cancelled ?? true
    }

    private func supervisorEnded(_ name: String) {
        for waiter in supervisors[name]?.loop?.exitWaiters ?? [] { waiter.resume() }
        supervisors[name]?.loop = nil
    }

    /// Stops the job's run so that its supervisor starts it again at once (a new version or settings).
    func restartContinuous(_ name: String) async {
        supervisors[name]?.restartNow = true
        guard let job = jobs[name] else { return }
        try? await stopActive(name, grace: job.settings.stoppingWaitTime(for: .continuous))
    }

    /// The supervisor loop of one continuous job.
    func supervise(_ name: String) async {
        var first = true
        while !supervisorCancelled(name), !shuttingDown, let job = jobs[name], job.kind == .continuous, job.record.enabled {
            setPhase(name, .starting, nextAttempt: nil)
            guard await mayRun(job) else {
                // Another instance of the fleet holds the singleton's lease: ask again after a heartbeat.
                let retry = coordinator.configuration.fleet.heartbeat
                setPhase(name, .inactive, nextAttempt: now().addingTimeInterval(retry.seconds))
                guard await backOff(name, retry) else { break }
                continue
            }
            let end: RunEnd
            do {
                guard
                    let run = try await start(
                        job, arguments: [], trigger: first ? .manual : .restart,
                        detail: first ? "continuous job started" : "restart after exit", tick: nil)
                else { return }
                if supervisorCancelled(name) || jobs[name]?.record.enabled != true {
                    // Stopped or removed while this run was being started: it must not outlive that.
                    _ = try? await coordinator.stop(id: run.id, grace: job.settings.stoppingWaitTime(for: .continuous))
                }
                setPhase(name, .running, nextAttempt: nil)
                end = await waitForEnd(run.id)
            } catch {
                logger.error("could not start continuous job '\(name)': \(error)")
                end = RunEnd(id: 0, job: name, state: .failed, endedAt: now())
            }
            first = false
            guard !supervisorCancelled(name), !shuttingDown, let current = jobs[name], current.record.enabled else { break }
            if supervisors[name]?.restartNow == true {
                supervisors[name]?.restartNow = false
                continue
            }
            let restart = current.settings.restart
            if restart == .never || (restart == .onFailure && end.state == .completed) {
                logger.info("continuous job '\(name)' exited (\(end.state.rawValue)); restart policy \(restart.rawValue): not restarted")
                setPhase(name, .stopped, nextAttempt: nil)
                await releaseLease(of: name)
                return supervisorEnded(name)
            }
            let uptime = end.endedAt.timeIntervalSince(end.startedAt ?? end.endedAt)
            guard var supervision = supervisors[name] else { break }
            let delay = supervision.backoff.delay(afterUptime: .seconds(max(0, min(uptime, 86_400 * 365))))
            supervision.phase = .pendingRestart
            supervision.nextAttemptAt = now().addingTimeInterval(delay.seconds)
            supervisors[name] = supervision
            logger.info("continuous job '\(name)' exited (\(end.state.rawValue)); restarting in \(delay)")
            guard await backOff(name, delay) else { break }
        }
        if supervisors[name] != nil { setPhase(name, .stopped, nextAttempt: nil) }
        await releaseLease(of: name)
        supervisorEnded(name)
    }

    /// Waits out a restart backoff on the clock; false when the supervisor was cancelled first.
    private func backOff(_ name: String, _ delay: Duration) async -> Bool {
        guard supervisors[name]?.loop != nil else { return false }
        return await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do { try await self.clock.sleep(for: delay) } catch { return }
                await self.endBackoff(name, slept: true)
            }
            let slept = await withCheckedContinuation { supervisors[name]?.loop?.backoff = $0 }
            group.cancelAll()
            return slept
        }
    }

    func endBackoff(_ name: String, slept: Bool) {
        supervisors[name]?.loop?.backoff?.resume(returning: slept)
        supervisors[name]?.loop?.backoff = nil
    }

    private func setPhase(_ name: String, _ phase: Supervision.Phase, nextAttempt: Date?) {
        supervisors[name]?.phase = phase
        supervisors[name]?.nextAttemptAt = nextAttempt
    }

    /// Waits for the end of a run of a continuous job (it may have ended already).
    func waitForEnd(_ id: Int64) async -> RunEnd {
        if let end = unclaimedEnds.removeValue(forKey: id) { return end }
        return await withCheckedContinuation { endWaiters[id] = $0 }
    }

    /// Deletes the oldest output of running continuous runs beyond the configured size (log rotation),
    /// so a process that runs for months keeps its recent output without filling the disk.
    func rotateContinuousOutput() async {
        for (name, job) in jobs where job.kind == .continuous {
            for id in activeRuns[name] ?? [] {
                do {
                    let deleted = try await store.trimOutput(runID: id, keepBytes: configuration.continuousOutputBytes)
                    if deleted > 0 { logger.info("rotated \(deleted) bytes of old output of run \(id) ('\(name)')") }
                } catch {
                    logger.error("could not rotate the output of run \(id): \(error)")
                }
            }
        }
    }
}

/// How the job host reaches a supervisor loop that runs as a child task of its service: a flag it
/// checks, its backoff to cut short, and who waits for it to end.
struct SupervisorLoop {
    var cancelled = false
    /// The backoff being waited out: resumed with true when it has passed, false when cancelled.
    var backoff: CheckedContinuation<Bool, Never>?
    var exitWaiters: [CheckedContinuation<Void, Never>] = []
}
