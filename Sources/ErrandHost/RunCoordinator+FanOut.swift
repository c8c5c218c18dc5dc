import ErrandCore
import ErrandStore
import Foundation
import Logging

/// A fan-out parent being supervised: its children's last known states and its merged output.
struct FanOut {
    var children: [Int64: RunState]
    /// Each child's host label.
    let hosts: [Int64: String]
    let capture: OutputCapture
    /// One element per child that ended.
    let childEnds: AsyncStream<Void>
    let noteChildEnd: AsyncStream<Void>.Continuation
}

/// Where a fan-out child runs. Kept in memory only: it may hold the host's token.
struct RemoteChild {
    let host: FanOutHost
    let parent: Int64
    let keepRemote: Bool
}

extension RunCoordinator {
    /// PowerShell's `Invoke-Command -AsJob`: creates one parent run (`RemoteJob`, `Running` at once,
    /// its location the hosts) and one child run per host, queued in a throttle group of their own so
    /// that at most `throttleLimit` reach their hosts at once. A child that cannot reach its host
    /// fails alone; the parent ends when every child has, in the state ``FanOutState`` gives.
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
        let group = Self.throttleGroup(ofFanOut: parent.id)
        var children: [Int64: RunState] = [:]
        var hosts: [Int64: String] = [:]
        do {
            parent.startedAt = now()
            parent.state = .running
            try await store.updateRun(id: parent.id, RunUpdate(state: .running, startedAt: parent.startedAt))
            for host in request.on {
                let child = try await store.createRun(
                    NewRun(
                        type: .remoteJob, argv: request.argv, throttleGroup: group, instance: host.name, trigger: trigger,
                        parentId: parent.id, createdAt: createdAt, triggerDetail: "fan-out run \(parent.id) on \(host.name)"))
                children[child.id] = .notStarted
                hosts[child.id] = host.name
                remoteChildren[child.id] = RemoteChild(host: host, parent: parent.id, keepRemote: request.keepRemote ?? false)
                created[child.id] = (child, [:])
            }
        } catch {
            for id in children.keys {
                remoteChildren.removeValue(forKey: id)
                created.removeValue(forKey: id)
                _ = try? await store.updateRun(
                    id: id, RunUpdate(state: .failed, reason: "the fan-out could not be created", endedAt: now()))
            }
            _ = try? await store.updateRun(
                id: parent.id, RunUpdate(state: .failed, reason: "could not create its children: \(error)", endedAt: now()))
            throw error
        }
        let (childEnds, noteChildEnd) = AsyncStream<Void>.makeStream()
        fanOuts[parent.id] = FanOut(
            children: children, hosts: hosts,
            capture: OutputCapture(runID: parent.id, lastSeq: 0, store: store, hub: hub, now: now, logger: logger),
            childEnds: childEnds, noteChildEnd: noteChildEnd)
        var entry = ActiveRun()
        entry.state = .running
        entry.startedAt = parent.startedAt
        active[parent.id] = entry
        launchQueue.yield(parent.id)
        hub.publish(.state(runID: parent.id, state: .running))
        throttle.setLimit(request.throttleLimit ?? InvokeRequest.defaultThrottleLimit, for: group)
        for id in children.keys.sorted() { throttle.enqueue(id, group: group) }
        dispatch()
        return parent
    }

    static func throttleGroup(ofFanOut id: Int64) -> String { "fan-out-\(id)" }

    /// The parent's life: its merged output is written while children run; a stop of the parent
    /// stops every unfinished child; once all have ended, the parent's end is recorded.
    func superviseFanOut(_ id: Int64, stopRequests: AsyncStream<Duration>) async {
        guard let fanOut = fanOuts[id] else { return finishBookkeeping(id) }
        async let written: Void = fanOut.capture.run()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await grace in stopRequests { await self.stopChildren(of: id, grace: grace) }
            }
            group.addTask {
                for await _ in fanOut.childEnds where await self.childrenFinished(id) { return }
            }
            await group.next()
            group.cancelAll()
        }
        fanOut.capture.finish()
        await written
        await recordFanOutEnd(id)
    }

    /// A child ended: its parent hears of it (runs that are no fan-out's child are ignored).
    func childEnded(_ end: RunEnd) {
        guard let child = remoteChildren.removeValue(forKey: end.id), fanOuts[child.parent] != nil else { return }
        fanOuts[child.parent]?.children[end.id] = end.state
        fanOuts[child.parent]?.noteChildEnd.yield()
    }

    private func childrenFinished(_ id: Int64) -> Bool {
        fanOuts[id]?.children.values.allSatisfy(\.isFinished) ?? true
    }

    private func stopChildren(of id: Int64, grace: Duration) async {
        let unfinished = fanOuts[id]?.children.filter { !$0.value.isFinished }.keys.sorted() ?? []
        await withTaskGroup(of: Void.self) { group in
            for child in unfinished {
                group.addTask { _ = try? await self.requestStop(child, grace: grace, cause: .parent(id)) }
            }
        }
    }

    private func recordFanOutEnd(_ id: Int64) async {
        guard let fanOut = fanOuts.removeValue(forKey: id) else { return finishBookkeeping(id) }
        fanOut.noteChildEnd.finish()
        let cause = active[id]?.stopCause
        let state = FanOutState.parent(children: Array(fanOut.children.values), stopRequested: cause != nil)
        var reason: String?
        switch state {
        case .failed:
            let failed = fanOut.children.filter { $0.value == .failed }.keys.sorted().compactMap { fanOut.hosts[$0] }
            reason = "\(failed.count) of \(fanOut.children.count) hosts failed: \(failed.joined(separator: ", "))"
        case .stopped:
            reason = cause?.reason
        default:
            break
        }
        let endedAt = now()
        let startedAt = active[id]?.startedAt
        do {
            try await store.updateRun(id: id, RunUpdate(state: state, reason: reason, endedAt: endedAt))
        } catch {
            logger.error("could not record the end of fan-out run \(id): \(error)")
        }
        throttle.removeLimit(for: Self.throttleGroup(ofFanOut: id))
        finishBookkeeping(id)
        hub.publish(.state(runID: id, state: state))
        await ended(RunEnd(id: id, job: nil, state: state, startedAt: startedAt, endedAt: endedAt))
    }
}
