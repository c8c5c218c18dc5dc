import ErrandCore
import Testing

@Suite("Run state machine")
struct RunStateMachineTests {
    /// Every allowed transition, written out independently of the implementation.
    static let allowed: [RunState: [RunTransition: RunState]] = [
        .notStarted: [.start: .running, .requestStop: .stopped, .fail: .failed, .deactivate: .inactiveInstance],
        .running: [
            .succeed: .completed, .fail: .failed, .requestStop: .stopping, .confirmStop: .stopped, .block: .blocked,
            .disconnect: .disconnected, .awaitRestart: .pendingRestart,
        ],
        .stopping: [.confirmStop: .stopped, .succeed: .stopped, .fail: .failed, .requestStop: .stopping],
        .blocked: [.unblock: .running, .requestStop: .stopping, .fail: .failed],
        .disconnected: [.reconnect: .running, .succeed: .completed, .fail: .failed, .requestStop: .stopping],
        .pendingRestart: [.start: .running, .requestStop: .stopped, .fail: .failed, .deactivate: .inactiveInstance],
        .inactiveInstance: [.start: .running, .requestStop: .stopped, .fail: .failed],
        .completed: [:], .failed: [:], .stopped: [:],
    ]

    static let pairs: [(RunState, RunTransition)] = RunState.allCases.flatMap { state in
        RunTransition.allCases.map { (state, $0) }
    }

    @Test("every state × transition pair", arguments: pairs)
    func transition(from state: RunState, by transition: RunTransition) {
        let expected = Self.allowed[state]![transition]
        #expect(state.next(after: transition) == expected)
        if let expected {
            #expect(throws: Never.self) { try state.applying(transition) }
            #expect((try? state.applying(transition)) == expected)
        } else {
            #expect(throws: InvalidTransition(from: state, transition: transition)) { try state.applying(transition) }
        }
    }

    @Test("finished states are terminal and exactly Completed, Failed, Stopped")
    func finishedStates() {
        let finished = RunState.allCases.filter(\.isFinished)
        #expect(Set(finished) == [.completed, .failed, .stopped])
        for state in finished {
            #expect(RunTransition.allCases.allSatisfy { state.next(after: $0) == nil })
        }
    }

    @Test("every unfinished state can reach a finished state", arguments: RunState.allCases.filter { !$0.isFinished })
    func reachesAnEnd(_ start: RunState) {
        var seen: Set<RunState> = [start]
        var frontier = [start]
        while let state = frontier.popLast() {
            for transition in RunTransition.allCases {
                if let next = state.next(after: transition), seen.insert(next).inserted { frontier.append(next) }
            }
        }
        #expect(seen.contains { $0.isFinished })
    }

    @Test("a stop request ends Stopped however the process ends")
    func stopWins() throws {
        let stopping = try RunState.running.applying(.requestStop)
        #expect(try stopping.applying(.succeed) == .stopped)
        #expect(try stopping.applying(.confirmStop) == .stopped)
    }

    @Test(
        "states parse from user input in any case",
        arguments: [("running", RunState.running), ("NOTSTARTED", .notStarted), ("Stopped", .stopped)])
    func parsesUserInput(_ text: String, _ state: RunState) {
        #expect(RunState(userInput: text) == state)
    }

    @Test func unknownStateIsNil() {
        #expect(RunState(userInput: "Sleeping") == nil)
    }

    @Test("exit statuses map to outcomes")
    func exitOutcomes() {
        #expect(ExitStatus.exited(0).outcome.transition == .succeed)
        #expect(ExitStatus.exited(0).outcome.reason == nil)
        #expect(ExitStatus.exited(3).outcome.transition == .fail)
        #expect(ExitStatus.exited(3).outcome.reason == "exited with code 3")
        #expect(ExitStatus.signaled(9).outcome.reason == "killed by signal 9 (SIGKILL)")
    }
}
