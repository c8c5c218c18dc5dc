import ErrandCore
import Foundation
import Testing

/// The run lifecycle as tables: every event in every phase, with the actions it returns. No processes.
@Suite("Run lifecycle")
struct RunLifecycleTests {
    typealias Action = RunLifecycle.Action
    static let t0 = Date(timeIntervalSince1970: 1_000_000)
    static func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    /// The phases a run can be in, each reached from a fresh lifecycle by real events.
    static let phases: [(name: String, path: [RunLifecycle.Event])] = [
        ("queued", []),
        ("launching", [.slotGiven]),
        ("launching, stop waiting", [.slotGiven, .stopAsked(.user, grace: .seconds(5), at: at(0))]),
        ("running", [.slotGiven, .launched(at: at(0))]),
        ("disconnected", [.slotGiven, .launched(at: at(0)), .disconnected]),
        ("stopping", [.slotGiven, .launched(at: at(0)), .stopAsked(.user, grace: .seconds(10), at: at(1))]),
        (
            "stopping, killed",
            [
                .slotGiven, .launched(at: at(0)), .stopAsked(.user, grace: .seconds(10), at: at(1)),
                .graceElapsed(at: at(11)),
            ]
        ),
        ("finished", [.slotGiven, .launched(at: at(0)), .ended(.exited(.exited(0)))]),
    ]

    /// Every kind of event, at time 20 (past every grace above, unless it is the event's own).
    static let events: [(name: String, event: RunLifecycle.Event)] = [
        ("slot", .slotGiven),
        ("launched", .launched(at: at(20))),
        ("stop", .stopAsked(.timeout(30), grace: .seconds(3), at: at(20))),
        ("grace", .graceElapsed(at: at(20))),
        ("exit 0", .ended(.exited(.exited(0)))),
        ("exit 3", .ended(.exited(.exited(3)))),
        ("killed", .ended(.exited(.signaled(9)))),
        ("no status", .ended(.withoutStatus("command not found"))),
        ("fan-out", .ended(.fanOut(.failed, reason: "1 of 2 hosts failed: b"))),
        ("host lost", .disconnected),
        ("host back", .reconnected),
    ]

    /// (phase, event) → (phase after, recorded state after, actions).
    static let table: [String: (RunLifecycle.Phase, [Action])] = [
        "queued/slot": (.launching, []),
        "queued/launched": (.queued, []),
        "queued/stop": (
            .finished(.stopped), [.dequeue, .finish(.stopped, reason: StopCause.timeout(30).reason, status: nil)]
        ),
        "queued/grace": (.queued, []),
        "queued/exit 0": (.finished(.completed), [.finish(.completed, reason: nil, status: .exited(0))]),
        "queued/exit 3": (.finished(.failed), [.finish(.failed, reason: "exited with code 3", status: .exited(3))]),
        "queued/killed": (
            .finished(.failed), [.finish(.failed, reason: "killed by signal 9 (SIGKILL)", status: .signaled(9))]
        ),
        "queued/no status": (.finished(.failed), [.finish(.failed, reason: "command not found", status: nil)]),
        "queued/fan-out": (.finished(.failed), [.finish(.failed, reason: "1 of 2 hosts failed: b", status: nil)]),
        "queued/host lost": (.queued, []),
        "queued/host back": (.queued, []),

        "launching/slot": (.launching, []),
        "launching/launched": (.running, [.recordStart(.running, at: at(20))]),
        "launching/stop": (.launching, []),
        "launching/grace": (.launching, []),
        "launching/exit 0": (.finished(.completed), [.finish(.completed, reason: nil, status: .exited(0))]),
        "launching/exit 3": (.finished(.failed), [.finish(.failed, reason: "exited with code 3", status: .exited(3))]),
        "launching/killed": (
            .finished(.failed), [.finish(.failed, reason: "killed by signal 9 (SIGKILL)", status: .signaled(9))]
        ),
        "launching/no status": (.finished(.failed), [.finish(.failed, reason: "command not found", status: nil)]),
        "launching/fan-out": (.finished(.failed), [.finish(.failed, reason: "1 of 2 hosts failed: b", status: nil)]),
        "launching/host lost": (.launching, []),
        "launching/host back": (.launching, []),

        // A stop asked for while launching is carried out at launch, with the shortest grace asked for.
        "launching, stop waiting/slot": (.launching, []),
        "launching, stop waiting/launched": (
            .stopping, [.recordStart(.stopping, at: at(20)), .terminate(grace: .seconds(5))]
        ),
        "launching, stop waiting/stop": (.launching, []),
        "launching, stop waiting/grace": (.launching, []),
        "launching, stop waiting/exit 0": (
            .finished(.stopped), [.finish(.stopped, reason: "stopped on request", status: .exited(0))]
        ),
        "launching, stop waiting/exit 3": (
            .finished(.stopped), [.finish(.stopped, reason: "stopped on request", status: .exited(3))]
        ),
        "launching, stop waiting/killed": (
            .finished(.stopped), [.finish(.stopped, reason: "stopped on request", status: .signaled(9))]
        ),
        "launching, stop waiting/no status": (
            .finished(.stopped), [.finish(.stopped, reason: "stopped on request", status: nil)]
        ),
        "launching, stop waiting/fan-out": (
            .finished(.failed), [.finish(.failed, reason: "1 of 2 hosts failed: b", status: nil)]
        ),
        "launching, stop waiting/host lost": (.launching, []),
        "launching, stop waiting/host back": (.launching, []),

        "running/slot": (.running, []),
        "running/launched": (.running, []),
        "running/stop": (.stopping, [.record(.stopping), .terminate(grace: .seconds(3))]),
        "running/grace": (.running, []),
        "running/exit 0": (.finished(.completed), [.finish(.completed, reason: nil, status: .exited(0))]),
        "running/exit 3": (.finished(.failed), [.finish(.failed, reason: "exited with code 3", status: .exited(3))]),
        "running/killed": (
            .finished(.failed), [.finish(.failed, reason: "killed by signal 9 (SIGKILL)", status: .signaled(9))]
        ),
        "running/no status": (.finished(.failed), [.finish(.failed, reason: "command not found", status: nil)]),
        "running/fan-out": (.finished(.failed), [.finish(.failed, reason: "1 of 2 hosts failed: b", status: nil)]),
        "running/host lost": (.disconnected, [.record(.disconnected)]),
        "running/host back": (.running, []),

        // The host stopped answering; the run goes on there. A stop is asked of the host like a running run's.
        "disconnected/slot": (.disconnected, []),
        "disconnected/launched": (.disconnected, []),
        "disconnected/stop": (.stopping, [.record(.stopping), .terminate(grace: .seconds(3))]),
        "disconnected/grace": (.disconnected, []),
        "disconnected/exit 0": (.finished(.completed), [.finish(.completed, reason: nil, status: .exited(0))]),
        "disconnected/exit 3": (.finished(.failed), [.finish(.failed, reason: "exited with code 3", status: .exited(3))]),
        "disconnected/killed": (
            .finished(.failed), [.finish(.failed, reason: "killed by signal 9 (SIGKILL)", status: .signaled(9))]
        ),
        "disconnected/no status": (.finished(.failed), [.finish(.failed, reason: "command not found", status: nil)]),
        "disconnected/fan-out": (.finished(.failed), [.finish(.failed, reason: "1 of 2 hosts failed: b", status: nil)]),
        "disconnected/host lost": (.disconnected, []),
        "disconnected/host back": (.running, [.record(.running)]),

        // Stopped at 1 with a 10 s grace: killed at 11. The first cause (the user's) decides the end.
        "stopping/slot": (.stopping, []),
        "stopping/launched": (.stopping, []),
        "stopping/stop": (.stopping, []),  // 20 + 3 is later than 11: nothing changes
        "stopping/grace": (.stopping, [.kill]),
        "stopping/exit 0": (.finished(.stopped), [.finish(.stopped, reason: "stopped on request", status: .exited(0))]),
        "stopping/exit 3": (.finished(.stopped), [.finish(.stopped, reason: "stopped on request", status: .exited(3))]),
        "stopping/killed": (
            .finished(.stopped), [.finish(.stopped, reason: "stopped on request", status: .signaled(9))]
        ),
        "stopping/no status": (.finished(.stopped), [.finish(.stopped, reason: "stopped on request", status: nil)]),
        "stopping/fan-out": (.finished(.failed), [.finish(.failed, reason: "1 of 2 hosts failed: b", status: nil)]),
        "stopping/host lost": (.stopping, []),  // recorded Stopping still: the stop is what matters
        "stopping/host back": (.stopping, []),

        "stopping, killed/slot": (.stopping, []),
        "stopping, killed/launched": (.stopping, []),
        "stopping, killed/stop": (.stopping, []),
        "stopping, killed/grace": (.stopping, []),  // killed once only
        "stopping, killed/exit 0": (
            .finished(.stopped), [.finish(.stopped, reason: "stopped on request", status: .exited(0))]
        ),
        "stopping, killed/exit 3": (
            .finished(.stopped), [.finish(.stopped, reason: "stopped on request", status: .exited(3))]
        ),
        "stopping, killed/killed": (
            .finished(.stopped), [.finish(.stopped, reason: "stopped on request", status: .signaled(9))]
        ),
        "stopping, killed/no status": (
            .finished(.stopped), [.finish(.stopped, reason: "stopped on request", status: nil)]
        ),
        "stopping, killed/fan-out": (
            .finished(.failed), [.finish(.failed, reason: "1 of 2 hosts failed: b", status: nil)]
        ),
        "stopping, killed/host lost": (.stopping, []),
        "stopping, killed/host back": (.stopping, []),

        // A finished state is final: nothing moves it, nothing is recorded.
        "finished/slot": (.finished(.completed), []),
        "finished/launched": (.finished(.completed), []),
        "finished/stop": (.finished(.completed), []),
        "finished/grace": (.finished(.completed), []),
        "finished/exit 0": (.finished(.completed), []),
        "finished/exit 3": (.finished(.completed), []),
        "finished/killed": (.finished(.completed), []),
        "finished/no status": (.finished(.completed), []),
        "finished/fan-out": (.finished(.completed), []),
        "finished/host lost": (.finished(.completed), []),
        "finished/host back": (.finished(.completed), []),
    ]

    static func reached(_ path: [RunLifecycle.Event]) -> RunLifecycle {
        var lifecycle = RunLifecycle()
        for event in path { _ = lifecycle.handle(event) }
        return lifecycle
    }

    @Test("the table covers every (phase, event) pair and nothing else")
    func tableIsComplete() {
        let pairs = Set(Self.phases.flatMap { phase in Self.events.map { "\(phase.name)/\($0.name)" } })
        #expect(Set(Self.table.keys) == pairs)
    }

    @Test("every event in every phase", arguments: Self.phases.map(\.name))
    func everyEvent(in phaseName: String) throws {
        let path = try #require(Self.phases.first { $0.name == phaseName }).path
        for (eventName, event) in Self.events {
            var lifecycle = Self.reached(path)
            let actions = lifecycle.handle(event)
            let expected = try #require(Self.table["\(phaseName)/\(eventName)"])
            #expect(lifecycle.phase == expected.0, "\(phaseName) + \(eventName)")
            #expect(actions == expected.1, "\(phaseName) + \(eventName)")
        }
    }

    @Test("every recorded state is a state the store knows, and only the machine's phases are recorded")
    func recordedStates() {
        let recorded = Self.phases.map { Self.reached($0.path).recordedState }
        #expect(recorded == [.notStarted, .notStarted, .notStarted, .running, .disconnected, .stopping, .stopping, .completed])
    }

    @Test("a second stop with an earlier deadline re-arms the kill; the first cause still decides the end")
    func earlierDeadlineWins() {
        var lifecycle = Self.reached([.slotGiven, .launched(at: Self.at(0)), .stopAsked(.user, grace: .seconds(60), at: Self.at(0))])
        #expect(lifecycle.handle(.stopAsked(.shutdown, grace: .seconds(5), at: Self.at(10))) == [.terminate(grace: .seconds(5))])
        #expect(lifecycle.handle(.graceElapsed(at: Self.at(14))) == [])  // too early
        #expect(lifecycle.handle(.graceElapsed(at: Self.at(15))) == [.kill])
        #expect(lifecycle.handle(.graceElapsed(at: Self.at(60))) == [])  // the first timer, late
        #expect(lifecycle.handle(.ended(.exited(.signaled(9)))) == [.finish(.stopped, reason: "stopped on request", status: .signaled(9))])
    }

    @Test("stops asked for while launching keep the first cause and the shortest grace")
    func launchingStops() {
        var lifecycle = Self.reached([
            .slotGiven, .stopAsked(.timeout(30), grace: .seconds(10), at: Self.at(0)),
            .stopAsked(.user, grace: .seconds(2), at: Self.at(1)),
        ])
        #expect(lifecycle.stop?.cause == .timeout(30))
        #expect(lifecycle.handle(.launched(at: Self.at(2))) == [.recordStart(.stopping, at: Self.at(2)), .terminate(grace: .seconds(2))])
        #expect(lifecycle.handle(.graceElapsed(at: Self.at(4))) == [.kill])
        #expect(
            lifecycle.handle(.ended(.exited(.signaled(9)))) == [
                .finish(.failed, reason: StopCause.timeout(30).reason, status: .signaled(9))
            ])
    }

    @Test(
        "each stop cause ends the run in its state",
        arguments: [
            (StopCause.user, RunState.stopped), (.timeout(5), .failed), (.idle(5), .failed), (.shutdown, .stopped),
            (.sessionExpired("s"), .stopped), (.parent(7), .stopped),
        ])
    func causes(_ cause: StopCause, _ state: RunState) {
        var lifecycle = Self.reached([.slotGiven, .launched(at: Self.t0), .stopAsked(cause, grace: .seconds(1), at: Self.t0)])
        #expect(lifecycle.handle(.ended(.exited(.exited(0)))) == [.finish(state, reason: cause.reason, status: .exited(0))])
    }

    @Test("recovery: queued runs are queued again; anything begun is failed, never run twice")
    func recovery() {
        func run(_ state: RunState, startedAt: Date? = nil, type: RunType = .backgroundJob, parent: Int64? = nil) -> Run {
            Run(
                id: 1, name: "Job1", type: type, state: state, location: "host-b", argv: ["true"], parentId: parent,
                createdAt: Self.t0, startedAt: startedAt)
        }
        #expect(RunLifecycle.recovery(of: run(.notStarted)) == .requeue)
        for (stored, words) in [
            (run(.notStarted, startedAt: Self.t0), "while launching this run"),
            (run(.notStarted, type: .remoteJob, parent: 9), "before this child reached host-b"),
            (run(.notStarted, type: .remoteJob), "while this fan-out was being created"),
            (run(.running, startedAt: Self.t0), "while the run was Running"),
            (run(.stopping, startedAt: Self.t0), "while the run was Stopping"),
            (run(.disconnected, type: .remoteJob, parent: 9), "while the run was Disconnected"),
        ] {
            guard case .fail(let reason) = RunLifecycle.recovery(of: stored) else {
                Issue.record("\(stored.state) was not failed")
                continue
            }
            #expect(reason.contains(words), "\(reason)")
        }
    }

    @Test(
        "states parse from user input in any case",
        arguments: [("running", RunState.running), ("NOTSTARTED", .notStarted), ("Stopped", .stopped)])
    func parsesUserInput(_ text: String, _ state: RunState) {
        #expect(RunState(userInput: text) == state)
        #expect(RunState(userInput: "Sleeping") == nil)
    }

    @Test("the end note: a failing stop's reason or a missing status, never a stop on purpose or an exit code")
    func endNotes() {
        func lifecycle(stoppedBy cause: StopCause?) -> RunLifecycle {
            var machine = RunLifecycle()
            _ = machine.handle(.slotGiven)
            _ = machine.handle(.launched(at: Self.at(0)))
            if let cause { _ = machine.handle(.stopAsked(cause, grace: .seconds(5), at: Self.at(1))) }
            return machine
        }
        let timedOut = lifecycle(stoppedBy: .timeout(1))
        #expect(timedOut.endNote(for: .exited(.signaled(15))) == StopCause.timeout(1).reason)
        #expect(lifecycle(stoppedBy: .user).endNote(for: .exited(.signaled(15))) == nil)
        #expect(lifecycle(stoppedBy: .parent(7)).endNote(for: .withoutStatus("the remote run was stopped")) == nil)
        #expect(lifecycle(stoppedBy: nil).endNote(for: .exited(.exited(3))) == nil)
        #expect(lifecycle(stoppedBy: nil).endNote(for: .withoutStatus("host b does not answer")) == "host b does not answer")
        #expect(lifecycle(stoppedBy: nil).endNote(for: .fanOut(.failed, reason: "1 of 2 hosts failed")) == nil)
    }

    @Test("exit statuses describe themselves")
    func exitDescriptions() {
        #expect(ExitStatus.exited(3).description == "exited with code 3")
        #expect(ExitStatus.signaled(9).description == "killed by signal 9 (SIGKILL)")
    }
}
