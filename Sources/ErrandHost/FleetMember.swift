import ErrandCore
import ErrandStore
import Foundation
import Logging
import ServiceLifecycle

/// This daemon as one instance of a fleet on a shared store: it registers, heartbeats (renewing its leases and
/// reconciling its jobs), declares silent instances dead, takes the stops other instances ask of it, claims the
/// runs started for it or for any instance (`errand start --instance`) while it has free slots, and turns
/// what changes in other instances' runs into local events, so `wait`, `receive --wait`, long polls and SSE here
/// follow runs that run elsewhere. Nothing depends on another daemon's HTTP: the store is the only channel.
///
/// It is the first of the daemon's services, so it stops last: it heartbeats (as `leaving`) while the job host
/// and the coordinator stop the runs, then marks the instance `dead` and releases what it held.
///
/// An instance that learns from a heartbeat that it was declared dead (it was paused or cut off for longer than
/// ``FleetTiming/deadAfter``) has had its runs failed by another instance: it stops (the service throws), and the
/// daemon exits rather than run on as a ghost.
public actor FleetMember: Service {
    let store: any FleetStore
    let coordinator: RunCoordinator
    let jobs: JobHost
    let clock: any HostClock
    let timing: FleetTiming
    let logger: Logger
    /// This instance: its name, incarnation, address and version.
    public let identity: InstanceRecord
    /// When the last heartbeat that succeeded began.
    private var lastBeat: Date
    /// What other instances' runs looked like at the last look (state and output count).
    private var seen: [Int64: RunActivity] = [:]
    /// Marked `leaving` in the store (the daemon is shutting down).
    private var leaving = false
    /// The watch loop waiting for its next poll, and whether a notice came while it was not waiting.
    private var pausing: CheckedContinuation<Void, Never>?
    private var nudged = false
    /// Runs of this instance changed since the last notice sent.
    private var changed = false
    private let changes: AsyncStream<Void>
    private let change: AsyncStream<Void>.Continuation

    public init(
        store: any FleetStore, coordinator: RunCoordinator, jobs: JobHost, identity: InstanceRecord, clock: any HostClock,
        logger: Logger
    ) {
        self.store = store
        self.coordinator = coordinator
        self.jobs = jobs
        self.identity = identity
        self.clock = clock
        self.timing = coordinator.configuration.fleet
        self.logger = logger
        self.lastBeat = clock.now
        (changes, change) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Wake-ups through the store, when it has them (PostgreSQL's LISTEN/NOTIFY).
    nonisolated var notifier: (any FleetNotifier)? { store as? any FleetNotifier }

    /// Registers this instance (refused when a live daemon elsewhere has its name). Before recovery and loading.
    public func join() async throws {
        try await store.register(identity, deadAfter: timing.deadAfter)
        lastBeat = clock.now
        logger.info("instance '\(identity.name)' joined the fleet on the shared store (incarnation \(identity.incarnation.prefix(8)))")
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.beatLoop() }
                group.addTask { await self.watchLoop() }
                if self.notifier != nil {
                    group.addTask { await self.listenLoop() }
                    group.addTask { await self.noteLocalChanges() }
                    group.addTask { await self.announceLoop() }
                }
                try await group.next()
                group.cancelAll()
            }
        }
        // Stopped: the runs were stopped before (the coordinator stops before this service); the name is free.
        try? await store.leave(name: identity.name, incarnation: identity.incarnation, finished: true)
    }

    /// Heartbeat, leases, dead instances, jobs: every ``FleetTiming/heartbeat`` until cancelled.
    private func beatLoop() async throws {
        while !Task.isCancelled {
            // Every heartbeat interval from the start of the last one, however long the beat's work took.
            let next = clock.now.addingTimeInterval(timing.heartbeat.seconds)
            try await beat()
            do { try await clock.sleep(until: next) } catch { return }
        }
    }

    /// One heartbeat and what follows it. Throws when this instance was declared dead.
    func beat() async throws {
        let began = clock.now
        let held: Set<String>?
        do {
            held = try await store.heartbeat(name: identity.name, incarnation: identity.incarnation, leaseTime: timing.leaseTime)
        } catch {
            // The store did not answer: past fenceAfter without a heartbeat, singletons stop before anyone
            // could take their leases over.
            logger.warning("heartbeat failed: \(error)")
            if clock.now.timeIntervalSince(lastBeat) > timing.fenceAfter.seconds {
                await jobs.leasesHeld([], asOf: clock.now)
            }
            return
        }
        guard let held else {
            logger.critical(
                "instance '\(identity.name)' was declared dead by the fleet (no heartbeat for \(timing.deadAfter)); its runs were failed elsewhere: stopping"
            )
            await jobs.leasesHeld([], asOf: clock.now)
            await coordinator.killEverything()
            throw ErrandError(.unavailable, "instance '\(identity.name)' was declared dead by the fleet")
        }
        lastBeat = began
        await jobs.leasesHeld(held, asOf: began)
        if !leaving, await !coordinator.isAcceptingRuns {
            // The daemon is shutting down: its runs are being stopped.
            leaving = true
            try? await store.leave(name: identity.name, incarnation: identity.incarnation, finished: false)
        }
        do {
            let dead = try await store.reapInstances(deadAfter: timing.deadAfter, by: identity.name)
            for name in dead {
                logger.warning("instance '\(name)' stopped heartbeating: declared dead, its unfinished runs failed")
            }
            if !dead.isEmpty {
                // Their leases are free: singletons waiting here ask now, and the others are told.
                await jobs.leaseReleased()
                try? await notifier?.notify(FleetNotice(sender: identity.name, topic: .lease))
            }
        } catch {
            logger.warning("could not look for dead instances: \(error)")
        }
        await jobs.reconcile()
    }

    /// Stops asked of this instance, and other instances' runs turned into local events, every ``FleetTiming/watch``.
    private func watchLoop() async {
        while !Task.isCancelled {
            await watch()
            await pause()
        }
    }

    /// Until the next poll, or sooner when another instance says something changed (``wake()``).
    private func pause() async {
        if nudged {
            nudged = false
            return
        }
        let (clock, interval) = (self.clock, timing.watch)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do { try await clock.sleep(for: interval) } catch { return }
                await self.wake()
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { pausing = $0 }
            } onCancel: {
                Task { await self.wake() }
            }
            group.cancelAll()
        }
    }

    private func wake() {
        if let pausing {
            self.pausing = nil
            pausing.resume()
        } else {
            nudged = true
        }
    }

    // MARK: - Notices (LISTEN/NOTIFY): wake-ups only, never needed for correctness

    /// Listens for other instances' notices; after a lost connection, listens again (and looks at once: notices
    /// sent meanwhile are lost).
    private func listenLoop() async {
        guard let notifier else { return }
        while !Task.isCancelled {
            do {
                try await notifier.listen { notice in await self.heard(notice) }
            } catch {
                if Task.isCancelled { return }
                logger.debug("fleet notices: listening again after \(error)")
            }
            wake()
            do { try await clock.sleep(for: .seconds(1)) } catch { return }
        }
    }

    private func heard(_ notice: FleetNotice) async {
        guard notice.sender != identity.name else { return }
        switch notice.topic {
        case .jobs: await jobs.reconcile()
        case .lease: await jobs.leaseReleased()
        case .runs, .stop, .claim: wake()
        }
    }

    /// Notes changes of this instance's own runs (events of runs it does not watch for others).
    private func noteLocalChanges() async {
        for await event in coordinator.hub.subscribe() where seen[event.runID] == nil {
            if !changed {
                changed = true
                change.yield()
            }
        }
    }

    /// At most one notice of changed runs per 50 ms, sent after the changes were stored.
    private func announceLoop() async {
        guard let notifier else { return }
        for await _ in changes {
            do { try await clock.sleep(for: .milliseconds(50)) } catch { return }
            changed = false
            try? await notifier.notify(FleetNotice(sender: identity.name, topic: .runs))
        }
    }

    func watch() async {
        do {
            for request in try await store.takeStopRequests(instance: identity.name) {
                await coordinator.stopAsked(request)
            }
            let capacity = await coordinator.claimCapacity
            if capacity > 0 {
                let claimed = try await store.claimRuns(instance: identity.name, limit: capacity)
                if !claimed.isEmpty { await coordinator.adopt(claimed) }
            }
            let now = try await store.activity(excludingInstance: identity.name, window: timing.window)
            var next: [Int64: RunActivity] = [:]
            for activity in now {
                next[activity.id] = activity
                let before = seen[activity.id]
                if let before, before.outputSeq == activity.outputSeq, before.state == activity.state { continue }
                if before?.outputSeq != activity.outputSeq {
                    coordinator.hub.publish(.output(runID: activity.id, lastSeq: activity.outputSeq))
                }
                if before?.state != activity.state { coordinator.hub.publish(.state(runID: activity.id, state: activity.state)) }
            }
            for id in seen.keys where next[id] == nil {
                // Gone from the window: removed, or ended long enough ago; either way waiters look once more.
                coordinator.hub.publish(.state(runID: id, state: nil))
            }
            seen = next
        } catch {
            logger.debug("could not watch the fleet's runs: \(error)")
        }
    }
}

extension FleetMember {
    /// Every instance of the fleet, alive first.
    public func instances() async throws -> [InstanceRecord] {
        try await store.instances()
    }
}
