import ErrandClient
import ErrandCore
import ErrandHost
import ErrandRemote
import ErrandRunner
import ErrandStore
import ErrandTestSupport
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The coordinator's side of fan-out, with hosts that cannot be reached (no network needed): the
/// end-to-end tests reach real daemons and a real sshd.
@Suite("Fan-out in the coordinator", .timeLimit(.minutes(2)))
struct FanOutCoordinatorTests {
    /// A loopback port nothing listens on.
    static let closedPort = 1

    @Test("unreachable hosts fail their children with the reason; the parent fails naming them and merges their notes")
    func unreachable() async throws {
        // Daemon hosts are reached through the HTTP client, as the composition root wires it.
        let fixture = try RunCoordinatorTests.Fixture(remoteLaunchers: RemoteLaunchers(daemons: ErrandClient.connector))
        try await fixture.serving { coordinator in
            let parent = try await coordinator.invoke(
                InvokeRequest(
                    argv: ["true"],
                    on: [
                        FanOutHost(name: "dead", url: "http://127.0.0.1:\(Self.closedPort)"),
                        FanOutHost(name: "nossh", url: "ssh://nobody@127.0.0.1:\(Self.closedPort)"),
                    ], name: "fan"))
            #expect(parent.state == .running && parent.type == .remoteJob && parent.location == "dead,nossh")
            let (done, runs) = try await coordinator.reader.wait(ids: [parent.id], any: false, timeout: .seconds(30))
            #expect(done)
            #expect(runs[0].state == .failed)
            #expect(runs[0].reason == "2 of 2 hosts failed: dead, nossh")
            let children = try await coordinator.reader.runs(RunQuery(parent: parent.id))
            #expect(children.map(\.location) == ["dead", "nossh"])
            #expect(children.allSatisfy { $0.state == .failed && $0.isFanOutChild && $0.throttleGroup == "fan-out-\(parent.id)" })
            #expect(children[0].reason?.contains("no daemon answers at http://127.0.0.1:1") == true, "\(children[0].reason ?? "")")
            #expect(children[1].reason?.contains("ssh could not run the command on ssh://nobody@127.0.0.1:1") == true)
            let merged = try await fixture.store.output(runID: parent.id, after: 0, limit: 100)
            #expect(Set(merged.compactMap(\.host)) == ["dead", "nossh"])
            #expect(merged.allSatisfy { $0.stream == .error })
            // The parent and its children go together.
            try await coordinator.remove(id: parent.id, force: false)
            #expect(try await fixture.store.runs(RunQuery()).isEmpty)
        }
    }

    /// Stands in for the system ssh: runs the remote command line (ssh's last argument) with /bin/sh
    /// in a session of its own, as sshd would, so the SSH launcher's marker, exit status and group
    /// kill are exercised without a server.
    struct LoopbackSSH: ProcessLauncher {
        func run(
            _ spec: LaunchSpec, started: @Sendable (any LaunchedWork) async -> Void,
            output: @escaping @Sendable (OutputChannel, [UInt8]) async -> Void
        ) async throws(LaunchError) -> ErrandCore.ExitStatus {
            let shell = LaunchSpec(
                executablePath: "/bin/sh", arguments: ["-c", spec.arguments.last ?? "false"], environment: ["PATH": "/usr/bin:/bin"],
                workingDirectory: "/tmp")
            return try await SubprocessLauncher().run(shell, started: started, output: output)
        }
    }

    static func loopbackFixture() throws -> RunCoordinatorTests.Fixture {
        try RunCoordinatorTests.Fixture(remoteLaunchers: RemoteLaunchers(local: LoopbackSSH()))
    }

    @Test("a stop of the parent stops the running child and takes the queued ones out of the queue: none starts after it")
    func stopWithQueuedChildren() async throws {
        let fixture = try Self.loopbackFixture()
        try await fixture.serving { coordinator in
            let hosts = (1...3).map { FanOutHost(name: "h\($0)", url: "ssh://h\($0)") }
            let parent = try await coordinator.invoke(InvokeRequest(argv: ["sleep", "30"], on: hosts, throttleLimit: 1))
            var children = try await coordinator.reader.runs(RunQuery(parent: parent.id))
            for _ in 0..<100 where children.first?.state != .running {
                try await Task.sleep(for: .milliseconds(20))
                children = try await coordinator.reader.runs(RunQuery(parent: parent.id))
            }
            #expect(children.map(\.state) == [.running, .notStarted, .notStarted])
            let stopped = try await coordinator.stop(id: parent.id, grace: .seconds(2))
            #expect(stopped.state == .stopped)
            #expect(stopped.reason == "stopped on request")
            children = try await coordinator.reader.runs(RunQuery(parent: parent.id))
            #expect(children.map(\.state) == [.stopped, .stopped, .stopped])
            #expect(children.map { $0.startedAt != nil } == [true, false, false])
            #expect(children.allSatisfy { $0.reason == "stopped with its fan-out parent, run \(parent.id)" })
        }
    }

    @Test("over (loopback) ssh: output comes back labelled, the exit status is the command's, the marker is gone")
    func loopbackOutput() async throws {
        let fixture = try Self.loopbackFixture()
        try await fixture.serving { coordinator in
            let parent = try await coordinator.invoke(
                InvokeRequest(
                    argv: ["sh", "-c", "echo out $ERRAND_RUN_ID; echo err >&2; exit 3"], on: [FanOutHost(name: "x", url: "ssh://x")]))
            let (done, runs) = try await coordinator.reader.wait(ids: [parent.id], any: false, timeout: .seconds(20))
            #expect(done && runs[0].state == .failed)
            let child = try #require(try await coordinator.reader.runs(RunQuery(parent: parent.id)).first)
            #expect(child.exitCode == 3 && child.state == .failed && child.name == parent.name)
            let merged = try await fixture.store.output(runID: parent.id, after: 0, limit: 100)
            let text = merged.map { "\($0.host ?? "-")|\($0.stream.rawValue)|" + String(decoding: $0.bytes, as: UTF8.self) }
            #expect(text.sorted() == ["x|error|err\n", "x|output|out \(child.id)\n"])
        }
    }

    @Test("output is delivered once: receiving a child leaves the others' for the parent, and then nothing has more data")
    func receivedOnce() async throws {
        let fixture = try Self.loopbackFixture()
        try await fixture.serving { coordinator in
            let parent = try await coordinator.invoke(
                InvokeRequest(
                    argv: ["sh", "-c", "echo one; echo two >&2"], on: ["x", "y"].map { FanOutHost(name: $0, url: "ssh://\($0)") }))
            let (done, _) = try await coordinator.reader.wait(ids: [parent.id], any: false, timeout: .seconds(20))
            #expect(done)
            let children = try await coordinator.reader.runs(RunQuery(parent: parent.id))
            let reader = coordinator.reader
            func lines(_ page: OutputPage) -> [String] {
                page.chunks.flatMap(\.lines).map { "\($0.host ?? "-") \($0.stream.rawValue) \($0.text)" }.sorted()
            }
            // Receiving child x first (PowerShell: Receive-Job on a child job)...
            let x = try await reader.receive(id: children[0].id, reader: "", keep: false, limit: 1000)
            #expect(lines(x) == ["- error two", "- output one"])
            #expect(x.run.hasMoreData == false)
            // ...leaves only y's output for the parent, labelled, and the parent peeked at does not consume it.
            let kept = try await reader.receive(id: parent.id, reader: "", keep: true, limit: 1000)
            #expect(lines(kept) == ["y error two", "y output one"] && kept.run.hasMoreData)
            let rest = try await reader.receive(id: parent.id, reader: "", keep: false, limit: 1000)
            #expect(lines(rest) == ["y error two", "y output one"])
            #expect(rest.run.hasMoreData == false)
            // Receiving the parent consumed y's output: nothing comes again, and nothing has more data.
            #expect(try await reader.receive(id: children[1].id, reader: "", keep: false, limit: 1000).chunks.isEmpty)
            #expect(try await reader.receive(id: parent.id, reader: "", keep: false, limit: 1000).chunks.isEmpty)
            for id in [parent.id] + children.map(\.id) { #expect(try await reader.run(id: id).hasMoreData == false) }
            // The whole output is still there to read (never consumed), in the parent's numbers.
            let all = try await reader.output(id: parent.id, after: 0, limit: 1000)
            #expect(all.chunks.map(\.seq) == Array(1...Int64(all.chunks.count)) && all.chunks.count >= 4)
            #expect(all.run.outputSeq == Int64(all.chunks.count))
        }
    }

    /// Another daemon as a fan-out sees it, that a test takes down and brings back: while down every call
    /// fails as a refused connection does; its one run keeps its output meanwhile (it goes on there).
    final class FlakyDaemon: RemoteDaemon {
        struct State {
            var up = true
            var lines: [String] = []
            var finished = false
            var stops = 0
        }
        let state = Mutex(State())
        static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

        func set(_ change: (inout State) -> Void) { state.withLock { change(&$0) } }

        private func answer() throws {
            guard state.withLock({ $0.up }) else { throw ErrandError(.unavailable, "no daemon answers at http://h: connection refused") }
        }

        private func remote(_ runState: RunState) -> Run {
            Run(id: 17, name: "fan", state: runState, location: "h", argv: ["work"], createdAt: Self.t0)
        }

        func start(_ request: RunRequest) async throws -> Run {
            try answer()
            return remote(.running)
        }

        func stop(id: Int64, grace: Double?) async throws -> Run {
            try answer()
            set {
                $0.stops += 1
                $0.finished = true
            }
            return remote(.stopped)
        }

        func remove(id: Int64, force: Bool) async throws { try answer() }

        func wait(ids: [Int64], any: Bool, timeout: Double) async throws -> WaitBody {
            try answer()
            let finished = state.withLock { $0.finished }
            return WaitBody(done: finished, runs: [remote(finished ? .completed : .running)])
        }

        func output(id: Int64, after: Int64, wait: Double, limit: Int?) async throws -> OutputPageBody {
            try answer()
            let (lines, finished) = state.withLock { ($0.lines, $0.finished) }
            let records = lines.enumerated().map { index, line in
                WireChunk(OutputChunk(seq: Int64(index + 1), time: Self.t0, stream: .output, bytes: Array("\(line)\n".utf8)))
            }.filter { $0.seq > after }
            // A short long poll (real time: this stands for the network, not for the daemon's clock).
            if records.isEmpty && !finished { try await Task.sleep(for: .milliseconds(20)) }
            return OutputPageBody(records: records, next: records.last?.seq ?? after, run: remote(finished ? .completed : .running))
        }
    }

    static func flakyFixture(_ daemon: FlakyDaemon, clock: ManualClock) throws -> RunCoordinatorTests.Fixture {
        try RunCoordinatorTests.Fixture(remoteLaunchers: RemoteLaunchers(daemons: { _, _, _ in daemon }), clock: clock)
    }

    /// Waits (on events, up to 10 s) until the run is in `state`.
    static func until(_ state: RunState, _ id: Int64, _ reader: RunReader) async throws -> Run? {
        try await reader.hub.waitFor(runs: [id], timeout: .seconds(10)) { () async throws -> Run? in
            let run = try await reader.run(id: id)
            return run.state == state ? run : nil
        }
    }

    /// Moves the clock `step` at a time until the run is in `state` (the launcher sleeps on it between tries),
    /// giving the run up to 200 ms of real time after each step to get there.
    static func advance(
        _ clock: ManualClock, until state: RunState, _ id: Int64, _ reader: RunReader, step: Duration = .seconds(1), limit: Int = 120
    ) async throws -> Run {
        for _ in 0..<limit {
            clock.advance(by: step)
            let reached = try await reader.hub.waitFor(runs: [id], timeout: .milliseconds(200)) { () async throws -> Run? in
                let run = try await reader.run(id: id)
                return run.state == state ? run : nil
            }
            if let reached { return reached }
        }
        return try await reader.run(id: id)
    }

    @Test("a daemon host that stops answering leaves child and parent Disconnected; back, output resumes, none lost or repeated")
    func disconnectedThenBack() async throws {
        let daemon = FlakyDaemon()
        let clock = ManualClock()
        try await Self.flakyFixture(daemon, clock: clock).serving { coordinator in
            let reader = coordinator.reader
            daemon.set { $0.lines = ["one"] }
            let parent = try await coordinator.invoke(InvokeRequest(argv: ["work"], on: [FanOutHost(name: "h", url: "http://h")]))
            let child = try #require(try await reader.runs(RunQuery(parent: parent.id)).first)
            _ = try await reader.output(id: child.id, after: 0, limit: 10, wait: .seconds(10))
            daemon.set { $0.up = false }
            let lost = try await Self.until(.disconnected, child.id, reader)
            #expect(lost?.state == .disconnected)
            #expect(try await Self.until(.disconnected, parent.id, reader)?.state == .disconnected)
            // The run goes on there and writes more; the host answers again.
            daemon.set {
                $0.lines.append("two")
                $0.up = true
            }
            #expect(try await Self.advance(clock, until: .running, child.id, reader).state == .running)
            #expect(try await Self.until(.running, parent.id, reader)?.state == .running)
            daemon.set {
                $0.lines.append("three")
                $0.finished = true
            }
            let (done, runs) = try await reader.wait(ids: [parent.id], any: false, timeout: .seconds(10))
            #expect(done && runs.first?.state == .completed)
            let lines = try await reader.output(id: parent.id, after: 0, limit: 100).chunks.flatMap(\.lines).map(\.text)
            #expect(lines == ["one", "two", "three"])
        }
    }

    @Test("a daemon host silent for the disconnected timeout fails its child with the reason, and the parent with it")
    func disconnectedTooLong() async throws {
        let daemon = FlakyDaemon()
        let clock = ManualClock()
        try await Self.flakyFixture(daemon, clock: clock).serving { coordinator in
            let reader = coordinator.reader
            daemon.set { $0.lines = ["one"] }
            let parent = try await coordinator.invoke(
                InvokeRequest(argv: ["work"], on: [FanOutHost(name: "h", url: "http://h")], disconnectedTimeout: 60))
            let child = try #require(try await reader.runs(RunQuery(parent: parent.id)).first)
            _ = try await reader.output(id: child.id, after: 0, limit: 10, wait: .seconds(10))
            daemon.set { $0.up = false }
            #expect(try await Self.until(.disconnected, child.id, reader)?.state == .disconnected)
            let lostAt = clock.now
            let failed = try await Self.advance(clock, until: .failed, child.id, reader, step: .seconds(5))
            #expect(failed.state == .failed)
            let reason = failed.reason ?? ""
            #expect(reason.hasPrefix("errand: lost contact with h for ") || reason.hasPrefix("lost contact with h for "), "\(reason)")
            #expect(reason.contains("(the disconnected timeout is 60 s)") && reason.contains("may still be going there"), "\(reason)")
            #expect(clock.now.timeIntervalSince(lostAt) >= 60)
            let (done, runs) = try await reader.wait(ids: [parent.id], any: false, timeout: .seconds(10))
            #expect(done && runs.first?.state == .failed && runs.first?.reason == "1 of 1 hosts failed: h")
        }
    }

    @Test("a Disconnected fan-out can be stopped: a host that has not answered by the kill is given up, Stopped")
    func stopWhileDisconnected() async throws {
        let daemon = FlakyDaemon()
        let clock = ManualClock()
        try await Self.flakyFixture(daemon, clock: clock).serving { coordinator in
            let reader = coordinator.reader
            let parent = try await coordinator.invoke(InvokeRequest(argv: ["work"], on: [FanOutHost(name: "h", url: "http://h")]))
            let child = try #require(try await reader.runs(RunQuery(parent: parent.id)).first)
            #expect(try await Self.until(.running, child.id, reader)?.state == .running)
            daemon.set { $0.up = false }
            #expect(try await Self.until(.disconnected, parent.id, reader)?.state == .disconnected)
            // The stop waits for the host on the daemon's clock: the test moves it.
            async let stop = coordinator.stop(id: parent.id, grace: .seconds(2))
            let stopped = try await Self.advance(clock, until: .stopped, child.id, reader)
            #expect(stopped.state == .stopped, "\(stopped.state) \(stopped.reason ?? "")")
            #expect(stopped.reason == "stopped with its fan-out parent, run \(parent.id)")
            let (done, runs) = try await reader.wait(ids: [parent.id], any: false, timeout: .seconds(30))
            #expect(done && runs.first?.state == .stopped)
            _ = try await stop  // bounded by real time (grace + 5 s), not by this test's clock: its answer may predate the end
        }
    }

    /// A launcher whose processes take half a second to be reported started (a slow spawn, a remote start).
    struct SlowToStart: ProcessLauncher {
        func run(
            _ spec: LaunchSpec, started: @Sendable (any LaunchedWork) async -> Void,
            output: @escaping @Sendable (OutputChannel, [UInt8]) async -> Void
        ) async throws(LaunchError) -> ErrandCore.ExitStatus {
            try await SubprocessLauncher().run(
                spec,
                started: { work in
                    try? await Task.sleep(for: .milliseconds(500))
                    await started(work)
                }, output: output)
        }
    }

    @Test("a stop that comes while the run is still launching gets its SIGKILL after the grace, like any other")
    func stopWhileLaunching() async throws {
        let fixture = try RunCoordinatorTests.Fixture(launcher: SlowToStart())
        try await fixture.serving { coordinator in
            let run = try await coordinator.start(
                RunRequest(argv: ["sh", "-c", "trap '' TERM; echo up; sleep 30"], environment: ["PATH": "/usr/bin:/bin"]))
            let stopped = try await coordinator.stop(id: run.id, grace: .zero)
            #expect(stopped.state == .stopped, "\(stopped.state) \(stopped.reason ?? "")")
            #expect(stopped.signal == SIGKILL)
        }
    }

    @Test("children still queued when the daemon died fail at restart: their hosts' credentials were never stored")
    func recovery() async throws {
        let fixture = try RunCoordinatorTests.Fixture()
        let store = fixture.store
        let parent = try await store.createRun(
            NewRun(type: .remoteJob, argv: ["true"], instance: "a,b", createdAt: Date()))
        _ = try await store.updateRun(id: parent.id, RunUpdate(state: .running))
        let queued = try await store.createRun(
            NewRun(type: .remoteJob, argv: ["true"], instance: "b", parentId: parent.id, createdAt: Date()))
        // A parent the daemon died while creating: it is no command to run here.
        let unborn = try await store.createRun(
            NewRun(type: .remoteJob, argv: ["touch", "/tmp/errand-must-not-run"], instance: "x", createdAt: Date()))
        try await fixture.coordinator.recover()
        #expect(try await store.run(id: parent.id)?.state == .failed)
        let never = try #require(try await store.run(id: unborn.id))
        #expect(never.state == .failed && never.pid == nil)
        #expect(never.reason?.contains("while this fan-out was being created") == true)
        let child = try #require(try await store.run(id: queued.id))
        #expect(child.state == .failed)
        #expect(child.reason?.contains("before this child reached b") == true)
    }
}
