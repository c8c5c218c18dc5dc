import ErrandCore
import ErrandStore
import Foundation
import Logging

extension RunCoordinator {
    /// Stops a run: a queued run becomes `Stopped` at once; a running one gets SIGTERM (its whole
    /// process group), then SIGKILL after `grace` (the run's own, else the daemon's default). `cause`
    /// decides its final state and reason. Returns once the run is finished.
    public func stop(id: Int64, grace: Duration? = nil, cause: StopCause = .user) async throws -> Run {
        let grace = grace ?? stopGrace(of: id)
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

    /// Asks a run to stop; false when it had already finished. The lifecycle decides, before the first
    /// suspension, whether the run leaves its queue or is signalled, so a queued run cannot be launched
    /// unseen meanwhile.
    @discardableResult
    func requestStop(_ id: Int64, grace: Duration, cause: StopCause) async throws -> Bool {
        if tracked[id] != nil {
            try await handle(id, .stopAsked(cause, grace: grace, at: now()))
            return true
        }
        let run = try await existingRun(id)
        guard !run.state.isFinished else { return false }
        // Another instance of the fleet runs it: the stop is asked through the store, and that instance stops it.
        if store.isShared, run.location != configuration.instanceName, let fleet = store as? any FleetStore {
            let asked = try await fleet.requestStop(runID: id, grace: grace.seconds)
            await announce(.stop)
            return asked
        }
        return true
    }

    /// Deletes a finished run and its output (a fan-out parent with its children). An unfinished run
    /// is refused unless `force`, which stops it first.
    public func remove(id: Int64, force: Bool) async throws {
        let run = try await existingRun(id)
        if run.isFanOutChild, let parent = run.parentId {
            // Remove-Job refuses a child job too: the parent's output is its children's.
            throw ErrandError.conflict(
                "run \(id) is a child of fan-out run \(parent) (on \(run.location)); remove the parent instead (errand remove \(parent))")
        }
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
}
