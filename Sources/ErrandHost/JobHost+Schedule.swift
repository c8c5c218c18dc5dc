import ErrandCore
import ErrandJobs
import ErrandSchedule
import ErrandStore
import Foundation
import Logging

/// Scheduled jobs: one loop sleeps until the earliest due tick of any job (`ScheduleQueue`), fires
/// what is due, and plans each job's following tick. A tick becomes a run through the store's
/// `claimTick`, so each (job, due time) runs at most once, across restarts and instances.
extension JobHost {
    /// The oldest ticks `missed: all` replays after downtime; older ones are recorded as skipped.
    static let maxReplayedTicks = 1000
    /// How often the loop does housekeeping (tick pruning, output rotation of continuous runs).
    static let housekeepingInterval: TimeInterval = 60

    /// Plans the job's next tick. On loading (`catchUp`) the missed policy first decides about ticks
    /// that fell due while the daemon was not running.
    func plan(_ job: DeployedJob, catchUp: Bool) async {
        guard let schedule = job.settings.schedule?.schedule else { return }
        let time = now()
        var since = job.record.updatedAt
        do {
            if let last = try await store.lastTick(job: job.name), last > since { since = last }
        } catch {
            logger.error("could not read the last tick of '\(job.name)': \(error)")
        }
        if catchUp {
            // In a task: runs start only once the coordinator serves, which may be after loading.
            inBackground { [since] in await self.applyMissedPolicy(job, schedule, since: since, now: time) }
        }
        if let next = schedule.next(after: max(since, time), in: job.timeZone) {
            agenda.set(job.name, due: next)
        } else {
            agenda.remove(job.name)
        }
        agendaDidChange()
    }

    /// Ticks due after `since` and not after `now` were missed: `skip` records the latest as skipped,
    /// `once` runs the latest if it is at most 10 minutes old (Kudu's rule) and records it skipped
    /// otherwise, `all` runs every one of them in order (the most recent 1,000).
    func applyMissedPolicy(_ job: DeployedJob, _ schedule: any Schedule, since: Date, now time: Date) async {
        let zone = job.timeZone
        guard let latest = schedule.previous(before: time.addingTimeInterval(0.001), in: zone), latest > since else {
            return
        }
        let stamp = ISO8601.string(latest, in: job.timeZone)
        switch job.settings.missed {
        case .skip:
            await recordSkipped(
                job, due: latest,
                reason: "skipped: due at \(stamp) while the daemon was not running (missed: skip)")
        case .once:
            if time.timeIntervalSince(latest) <= MissedPolicy.catchUpWindow.seconds {
                logger.info("job '\(job.name)': running the tick missed at \(stamp) (missed: once)")
                await fire(job.name, due: latest, catchingUp: true)
            } else {
                await recordSkipped(
                    job, due: latest,
                    reason: "skipped: due at \(stamp) while the daemon was not running, more than 10 minutes ago (missed: once)")
            }
        case .all:
            var missed: [Date] = []
            var cursor = since
            while let due = schedule.next(after: cursor, in: zone), due <= time {
                missed.append(due)
                if missed.count > Self.maxReplayedTicks { missed.removeFirst() }
                cursor = due
            }
            logger.info("job '\(job.name)': running \(missed.count) tick(s) missed while the daemon was down (missed: all)")
            for due in missed { await fire(job.name, due: due, catchingUp: true) }
        }
    }

    /// One tick of a scheduled job, under its overlap policy. `skip` while a run is going records the
    /// tick as a skipped run with the reason (Kudu drops it silently). Catch-up ticks queue instead.
    func fire(_ name: String, due: Date, catchingUp: Bool = false) async {
        guard let job = jobs[name], job.kind == .scheduled, job.record.enabled else { return }
        let busy = await unfinishedRuns(of: name)
        do {
            switch job.settings.overlap {
            case .skip where !catchingUp && (!busy.isEmpty || (starting[name] ?? 0) > 0):
                let which = busy.first.map { "run \($0)" } ?? "the previous run"
                await recordSkipped(job, due: due, reason: "skipped: \(which) was still running (overlap: skip)")
                return
            case .replace:
                try await stopActive(name, grace: job.settings.stoppingWaitTime(for: job.kind), everywhere: true)
            default:
                break
            }
            _ = try await start(job, arguments: [], trigger: .schedule, detail: scheduleDetail(job), tick: due)
        } catch {
            logger.error("could not start the tick of '\(name)' due at \(ISO8601.string(due, in: job.timeZone)): \(error)")
        }
    }

    func recordSkipped(_ job: DeployedJob, due: Date, reason: String) async {
        var run = NewRun(
            name: job.name, argv: job.record.entryPoint, instance: coordinator.configuration.instanceName,
            trigger: .schedule, createdAt: now(), job: job.name, triggerDetail: scheduleDetail(job))
        run.throttleGroup = "job:" + job.name
        do {
            _ = try await coordinator.recordSkipped(RunPlan(run: run, tick: due), reason: reason)
        } catch {
            logger.error("could not record the skipped tick of '\(job.name)': \(error)")
        }
    }

    func scheduleDetail(_ job: DeployedJob) -> String {
        "schedule \(job.scheduleText ?? "")"
    }

    // MARK: - The loop

    /// Sleeps until the earliest tick (or a change of the agenda), fires every due tick and plans the
    /// job's following one. Ticks are fired in tasks of their own, so a slow start never delays others.
    func schedulerLoop() async {
        var lastHousekeeping = now()
        while !shuttingDown {
            await sleep(until: agenda.earliest)
            let time = now()
            for entry in agenda.takeDue(now: time) {
                guard let job = jobs[entry.job], let schedule = job.settings.schedule?.schedule else { continue }
                if let next = schedule.next(after: entry.due, in: job.timeZone) { agenda.set(entry.job, due: next) }
                inBackground { await self.fire(entry.job, due: entry.due) }
            }
            if time.timeIntervalSince(lastHousekeeping) >= Self.housekeepingInterval {
                lastHousekeeping = time
                inBackground { await self.housekeeping() }
            }
        }
    }

    private func housekeeping() async {
        do {
            try await store.pruneTicks(before: now().addingTimeInterval(-3600))
        } catch {
            logger.error("could not prune schedule ticks: \(error)")
        }
        await rotateContinuousOutput()
    }

    /// Returns at `due` on the clock (at most a minute from now), or earlier when the agenda changes.
    private func sleep(until due: Date?) async {
        let time = now()
        let deadline = min(due ?? time.addingTimeInterval(Self.housekeepingInterval), time.addingTimeInterval(Self.housekeepingInterval))
        guard deadline > time, !shuttingDown else { return }
        sleepGeneration += 1
        let generation = sleepGeneration
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do { try await self.clock.sleep(until: deadline) } catch { return }
                await self.wake(generation)
            }
            await withCheckedContinuation { wakeUp = $0 }
            group.cancelAll()
        }
    }

    /// Ends the current sleep (only the one of `generation`, when given: a late timer never cuts a
    /// later sleep short).
    func wake(_ generation: Int? = nil) {
        if let generation, generation != sleepGeneration { return }
        wakeUp?.resume()
        wakeUp = nil
    }

    func agendaDidChange() { wake() }
}
