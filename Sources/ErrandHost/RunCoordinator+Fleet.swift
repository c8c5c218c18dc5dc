import ErrandCore
import ErrandStore
import Foundation
import Logging

/// The coordinator as one instance of a fleet on a shared store (see ``FleetMember``): runs started for another
/// instance or for any, runs claimed from the fleet, stops asked by other instances, the leftovers of a
/// declaration of death, and the wake-ups it sends.
extension RunCoordinator {
    /// A run for another instance of the fleet (`--instance NAME`), or for the first with a free slot (`any`):
    /// stored `NotStarted` for it to claim; its command is checked there, where it runs.
    func startElsewhere(
        _ request: RunRequest, on target: String, environment: [String: String], runAs: String?, trigger: TriggerKind
    ) async throws -> Run {
        guard store.isShared, let fleet = store as? any FleetStore else {
            throw ErrandError.badRequest(
                "instance '\(target)': this daemon is not part of a fleet (its store is not shared), so its runs run here; leave out --instance"
            )
        }
        if target != InstanceRecord.anyInstance {
            let alive = try await fleet.instances().contains { $0.name == target && $0.state == .alive }
            guard alive else {
                throw ErrandError.notFound("no live instance named '\(target)' in the fleet (see errand instance list)")
            }
        }
        var new = NewRun(
            name: request.name, argv: request.argv, workingDirectory: request.workingDirectory, environment: environment,
            throttleGroup: request.throttleGroup ?? ThrottleGroup.default, timeout: request.timeout, instance: target,
            trigger: trigger, createdAt: now(), session: request.session, runAs: runAs)
        new.awaitingClaim = true
        let run = try await store.createRun(new)
        hub.publish(.state(runID: run.id, state: run.state))
        await announce(.claim)
        return run
    }

    /// Runs this instance claimed from the fleet's queue (see ``FleetMember``): queued here as if started here.
    public func adopt(_ runs: [Run]) {
        for run in runs where tracked[run.id] == nil {
            tracked[run.id] = TrackedRun(run: run)
            enqueue(run)
        }
        dispatch()
    }

    /// This instance was declared dead by its fleet (it was frozen or cut off): its runs were failed in the store
    /// already and may run again elsewhere, so each one still going here is killed now (no grace), and no run
    /// starts any more.
    public func killEverything() async {
        acceptingRuns = false
        let ids = tracked.filter { $0.value.lifecycle.phase != .queued }.keys
        if !ids.isEmpty { logger.warning("killing \(ids.count) run(s): this instance was declared dead") }
        await withTaskGroup(of: Void.self) { group in
            for id in ids {
                group.addTask { _ = try? await self.stop(id: id, grace: .zero, cause: .shutdown) }
            }
        }
    }

    /// False once the daemon shuts down (runs are being stopped; none are started).
    public var isAcceptingRuns: Bool { acceptingRuns }

    /// How many runs this instance may claim now: free slots of the default throttle group, none while shutting down.
    public var claimCapacity: Int {
        guard acceptingRuns else { return 0 }
        let group = ThrottleGroup.default
        return max(0, throttle.limit(of: group) - throttle.runningCount(of: group) - throttle.queuedCount(of: group))
    }

    /// A fleet declared this instance's previous process dead (it crashed, or was frozen) and failed its runs in
    /// the store; their processes may still run on this machine. They are killed now, as a restart after a crash
    /// kills the leftovers of runs it fails itself.
    func killLeftoversOfDeclaredDeath() async {
        let lately = (try? await store.runs(RunQuery(states: [.failed], newest: 1000))) ?? []
        for run in lately where run.location == configuration.instanceName && DeclaredDead.isReason(run.reason) {
            if await Self.killLeftover(of: run) {
                logger.warning("run \(run.id) was failed when this instance was declared dead; its leftover processes were killed")
            }
        }
    }

    /// Wakes the other instances of a fleet (best effort: they poll anyway).
    func announce(_ topic: FleetNotice.Topic) async {
        guard store.isShared, let notifier = store as? any FleetNotifier else { return }
        try? await notifier.notify(FleetNotice(sender: configuration.instanceName, topic: topic))
    }

    /// A stop another instance asked through the store for a run of this one (see ``FleetMember``).
    public func stopAsked(_ request: StopRequest) async {
        guard tracked[request.runID] != nil else { return }
        let grace = request.grace.map { Duration.seconds($0) } ?? stopGrace(of: request.runID)
        do {
            try await handle(request.runID, .stopAsked(.user, grace: grace, at: now()))
        } catch {
            logger.error("could not stop run \(request.runID) as another instance asked: \(error)")
        }
    }

    /// A daemon of its own as the one instance there is (what `GET /api/v1/instances` shows without a fleet).
    public func instanceAlone() async throws -> InstanceRecord {
        let unfinished = try await store.runs(RunQuery(states: RunState.allCases.filter { !$0.isFinished }))
        return InstanceRecord(
            name: configuration.instanceName, incarnation: "", node: ProcessInfo.processInfo.hostName, address: "",
            version: ErrandVersion.current, startedAt: startedAt, lastHeartbeat: now(), state: .alive,
            runningRuns: unfinished.filter { !$0.isFanOutChild }.count)
    }
}
