import ErrandCore
import ErrandStore
import Foundation
import Logging

/// A fan-out parent being supervised: its children's last known states. (Its output is its children's,
/// which the store reads as the parent's: nothing is written for the parent itself.)
struct FanOut {
    var children: [Int64: RunState]
    /// Each child's host label.
    var hosts: [Int64: String]
    /// True while `invoke` is still creating children (the parent cannot end before it is done).
    var creating = true
    /// Why the fan-out could not be created in full (the parent then ends `Failed`).
    var failure: String?
    /// One element per child that ended.
    let childEnds: AsyncStream<Void>
    let noteChildEnd: AsyncStream<Void>.Continuation
}

/// Where a fan-out child runs. Kept in memory only: it may hold the host's token.
struct RemoteChild {
    let host: FanOutHost
    let parent: Int64
    let keepRemote: Bool
    /// How long the child stays `Disconnected` when its daemon host stops answering, before it fails.
    var disconnectedTimeout: Duration = .seconds(InvokeRequest.defaultDisconnectedTimeout)
}

extension RunCoordinator {
    /// PowerShell's `Invoke-Command -AsJob`: creates one parent run (`RemoteJob`, `Running` at once,
    /// its location the hosts) and one child run per host, queued in a throttle group of their own so
    /// that at most `throttleLimit` reach their hosts at once. A child that cannot reach its host
    /// fails alone; the parent ends when every child has, in the state ``FanOutState`` gives.
    ///
    /// The parent is supervised from the moment it exists, and each child is queued as soon as it is
    /// created, so a stop (or a shutdown) in the middle of a long creation finds every run it must stop;
    /// once the parent is asked to stop, no further child is created.
    public func invoke(_ request: InvokeRequest, trigger: TriggerKind = .manual, triggerDetail: String? = nil) async throws
        -> Run
    {
        let request = try request.validated()
        guard acceptingRuns else { throw ErrandError(.unavailable, "the daemon is shutting down; try again shortly") }
        let createdAt = now()
        var parent = try await store.createRun(
            NewRun(
                name: request.name, type: .remoteJob, argv: request.argv, throttleGroup: "fan-out",
                instance: request.on.map(\.name).joined(separator: ","), trigger: trigger, createdAt: createdAt,
                triggerDetail: triggerDetail))
        tracked[parent.id] = TrackedRun(lifecycle: RunLifecycle(phase: .launching), run: parent)
        guard acceptingRuns else {
            // Shutdown began while the parent was being written: it never starts.
            try? await handle(parent.id, .ended(.fanOut(.stopped, reason: StopCause.shutdown.reason)))
            throw ErrandError(.unavailable, "the daemon is shutting down; try again shortly")
        }
        let group = Self.throttleGroup(ofFanOut: parent.id)
        throttle.setLimit(request.throttleLimit ?? InvokeRequest.defaultThrottleLimit, for: group)
        let (childEnds, noteChildEnd) = AsyncStream<Void>.makeStream()
        fanOuts[parent.id] = FanOut(
            children: [:], hosts: [:], childEnds: childEnds, noteChildEnd: noteChildEnd)
        launchQueue.yield(parent.id)
        defer {
            fanOuts[parent.id]?.creating = false
            fanOuts[parent.id]?.noteChildEnd.yield()  // the supervisor looks again: creation is over
        }

        do {
            // Its supervision exists from now on: the parent is `Running` (`Stopping` if stopped meanwhile).
            let startedAt = now()
            parent.startedAt = startedAt
            parent.state = .running
            try await handle(parent.id, .launched(at: startedAt))
            for host in request.on {
                guard tracked[parent.id]?.lifecycle.stop == nil else { break }
                let child = try await store.createRun(
                    NewRun(
                        name: parent.name, type: .remoteJob, argv: request.argv, throttleGroup: group, instance: host.name,
                        trigger: trigger, parentId: parent.id, createdAt: createdAt,
                        triggerDetail: "fan-out run \(parent.id) on \(host.name)"))
                fanOuts[parent.id]?.children[child.id] = .notStarted
                fanOuts[parent.id]?.hosts[child.id] = host.name
                remoteChildren[child.id] = RemoteChild(
                    host: host, parent: parent.id, keepRemote: request.keepRemote ?? false,
                    disconnectedTimeout: .seconds(request.disconnectedTimeout ?? InvokeRequest.defaultDisconnectedTimeout))
                tracked[child.id] = TrackedRun(run: child, environment: [:])
                throttle.enqueue(child.id, group: group)
                if tracked[parent.id]?.lifecycle.stop != nil {
                    // Stopped while this child was being written: it never starts.
                    try await requestStop(child.id, grace: configuration.stopGrace, cause: .parent(parent.id))
                    break
                }
                dispatch()
            }
        } catch {
            // The children already queued or running must not go on unwatched by the caller, who gets no parent id.
            fanOuts[parent.id]?.failure = "could not create its children: \(error)"
            await stopChildren(of: parent.id, grace: configuration.stopGrace)
            throw error
        }
        return parent
    }

    static func throttleGroup(ofFanOut id: Int64) -> String { "fan-out-\(id)" }

    /// The parent's life: it waits while its children run (a stop of the parent stops its unfinished
    /// children: ``RunLifecycle/Action/terminate(grace:)``); once all have ended (each with its output
    /// stored), the parent's end is recorded.
    func superviseFanOut(_ id: Int64) async {
        guard let fanOut = fanOuts[id] else { return finishBookkeeping(id) }
        for await _ in fanOut.childEnds {
            if childrenFinished(id) { break }
            await followChildren(of: id)  // a child that ended may leave only disconnected ones
        }
        await recordFanOutEnd(id)
    }

    /// A child's host stopped answering, or answers again: the child is `Disconnected` or `Running` again, and
    /// its parent follows its children by ``FanOutState/connection(children:)``.
    func connectionChanged(_ id: Int64, connected: Bool) async {
        do { try await handle(id, connected ? .reconnected : .disconnected) } catch {
            logger.error("could not record that run \(id) is \(connected ? "connected again" : "disconnected"): \(error)")
        }
        if connected {
            logger.info("run \(id): its host answers again")
        } else {
            logger.warning("run \(id): its host does not answer; the run is Disconnected until it does")
        }
        guard let child = remoteChildren[id], fanOuts[child.parent] != nil, let state = tracked[id]?.lifecycle.recordedState
        else { return }
        fanOuts[child.parent]?.children[id] = state
        await followChildren(of: child.parent)
    }

    /// A child's process (its connection to its host) exists: it counts as running for its parent.
    func childLaunched(_ id: Int64) {
        guard let child = remoteChildren[id], fanOuts[child.parent]?.children[id] == .notStarted else { return }
        fanOuts[child.parent]?.children[id] = .running
    }

    /// The parent `Disconnected` while every unfinished child is, `Running` again once one is not (a stopping
    /// parent stays `Stopping`: its lifecycle ignores both).
    func followChildren(of id: Int64) async {
        guard let children = fanOuts[id]?.children.values, let lifecycle = tracked[id]?.lifecycle else { return }
        let wanted = FanOutState.connection(children: Array(children))
        let event: RunLifecycle.Event
        switch (lifecycle.phase, wanted) {
        case (.running, .disconnected): event = .disconnected
        case (.disconnected, .running): event = .reconnected
        default: return
        }
        do { try await handle(id, event) } catch { logger.error("could not record the state of fan-out run \(id): \(error)") }
    }

    /// A child ended: its parent hears of it (runs that are no fan-out's child are ignored).
    func childEnded(_ end: RunEnd) {
        guard let child = remoteChildren.removeValue(forKey: end.id), fanOuts[child.parent] != nil else { return }
        fanOuts[child.parent]?.children[end.id] = end.state
        fanOuts[child.parent]?.noteChildEnd.yield()
    }

    private func childrenFinished(_ id: Int64) -> Bool {
        guard let fanOut = fanOuts[id] else { return true }
        return !fanOut.creating && fanOut.children.values.allSatisfy(\.isFinished)
    }

    /// Stops every unfinished child. The queued ones leave the queue first, all at once (their lifecycles
    /// decide it without suspending), so that none of them is launched while the others are being stopped.
    func stopChildren(of id: Int64, grace: Duration) async {
        let unfinished = fanOuts[id]?.children.filter { !$0.value.isFinished }.keys.sorted() ?? []
        let stops = unfinished.map { child in (child, transition(child, .stopAsked(.parent(id), grace: grace, at: now()))) }
        await withTaskGroup(of: Void.self) { group in
            for (child, actions) in stops {
                group.addTask {
                    for action in actions {
                        do { try await self.perform(action, on: child) } catch {
                            self.logger.error("could not record the stop of run \(child): \(error)")
                        }
                    }
                }
            }
        }
    }

    private func recordFanOutEnd(_ id: Int64) async {
        guard let fanOut = fanOuts.removeValue(forKey: id) else { return finishBookkeeping(id) }
        fanOut.noteChildEnd.finish()
        let cause = tracked[id]?.lifecycle.stop?.cause
        var state = FanOutState.final(children: Array(fanOut.children.values), stopRequested: cause != nil)
        var reason: String?
        if let failure = fanOut.failure {
            state = .failed
            reason = failure
        } else {
            reason = Self.reason(for: state, fanOut: fanOut, cause: cause)
        }
        throttle.removeLimit(for: Self.throttleGroup(ofFanOut: id))
        do { try await handle(id, .ended(.fanOut(state, reason: reason))) } catch {}  // logged where it failed
    }

    /// The parent's reason: which hosts failed, or why it was stopped.
    private static func reason(for state: RunState, fanOut: FanOut, cause: StopCause?) -> String? {
        switch state {
        case .failed:
            let failed = fanOut.children.filter { $0.value == .failed }.keys.sorted().compactMap { fanOut.hosts[$0] }
            return "\(failed.count) of \(fanOut.children.count) hosts failed: \(failed.joined(separator: ", "))"
        case .stopped:
            return cause?.reason
        default:
            return nil
        }
    }
}
