import ErrandCore
import ErrandHost
import ErrandRemote
import ErrandRunner
import ErrandStore
import ErrandTestSupport
import Foundation
import Testing

/// The coordinator with a real SQLite file and real processes.
@Suite("Run coordinator", .timeLimit(.minutes(2)))
struct RunCoordinatorTests {
    struct Fixture {
        let coordinator: RunCoordinator
        let store: SQLiteStore
        let path: String

        init(
            throttleLimit: Int = 4, path: String? = nil, launcher: any ProcessLauncher = SubprocessLauncher(),
            remoteLaunchers: RemoteLaunchers = RemoteLaunchers(), clock: any HostClock = SystemClock(),
            runAs: RunAsPolicy = RunAsPolicy()
        ) throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("errand-host-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            self.path = path ?? directory.appendingPathComponent("errand.sqlite").path
            store = try SQLiteStore(path: self.path)
            var configuration = HostConfiguration(instanceName: "test", throttleLimit: throttleLimit, stopGrace: .seconds(2))
            configuration.runAs = runAs
            coordinator = RunCoordinator(
                store: store, launcher: launcher, configuration: configuration, remoteLaunchers: remoteLaunchers, clock: clock)
        }

        /// Runs the coordinator's service for the duration of `body`.
        func serving<T: Sendable>(_ body: @Sendable (RunCoordinator) async throws -> T) async throws -> T {
            try await coordinator.recover()
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await coordinator.run(); return nil
                }
                let result = try await body(coordinator)
                group.cancelAll()
                return result
            }
        }
    }

    static let environment = ["PATH": "/usr/bin:/bin"]

    func request(_ argv: [String], name: String? = nil, group: String? = nil, timeout: Double? = nil) -> RunRequest {
        RunRequest(argv: argv, name: name, workingDirectory: "/tmp", environment: Self.environment, throttleGroup: group, timeout: timeout)
    }

    func finish(_ coordinator: RunCoordinator, _ id: Int64) async throws -> Run {
        let (done, runs) = try await coordinator.reader.wait(ids: [id], any: false, timeout: .seconds(30))
        #expect(done)
        return runs[0]
    }

    func text(_ page: OutputPage, _ channel: OutputChannel) -> String {
        page.chunks.filter { $0.stream == channel }.map { String(decoding: $0.bytes, as: UTF8.self) }.joined()
    }

    @Test("exit codes decide Completed or Failed; stdout and stderr are kept apart, in order")
    func exitAndOutput() async throws {
        try await Fixture().serving { coordinator in
            let failing = try await coordinator.start(request(["sh", "-c", "echo out; echo err >&2; exit 3"]))
            let run = try await finish(coordinator, failing.id)
            #expect(run.state == .failed)
            #expect(run.exitCode == 3)
            #expect(run.reason == "exited with code 3")
            #expect(run.name == "Job\(run.id)")
            let page = try await coordinator.reader.receive(id: run.id, reader: "", keep: false, limit: 100)
            #expect(text(page, .output) == "out\n")
            #expect(text(page, .error) == "err\n")
            #expect(try await coordinator.reader.receive(id: run.id, reader: "", keep: false, limit: 100).chunks.isEmpty)
            #expect(try await coordinator.reader.run(id: run.id).hasMoreData == false)

            let ok = try await finish(coordinator, try await coordinator.start(request(["true"])).id)
            #expect(ok.state == .completed)
            #expect(ok.exitCode == 0)
        }
    }

    @Test("receive pages continue from the reader's cursor, kept or consumed")
    func receivePositions() async throws {
        try await Fixture().serving { coordinator in
            let run = try await coordinator.start(request(["sh", "-c", "echo one; echo two >&2"]))
            _ = try await finish(coordinator, run.id)
            let consumed = try await coordinator.reader.receive(id: run.id, reader: "r", keep: false, limit: 1)
            #expect(consumed.next == consumed.chunks.last?.seq)
            #expect(consumed.run.hasMoreData)
            let rest = try await coordinator.reader.receive(id: run.id, reader: "r", keep: false, limit: 100)
            #expect(rest.run.hasMoreData == false)
            let empty = try await coordinator.reader.receive(id: run.id, reader: "r", keep: true, limit: 100)
            #expect(empty.chunks.isEmpty)
            #expect(empty.next == rest.next)
            #expect(empty.next > 0)
            let emptyConsuming = try await coordinator.reader.receive(id: run.id, reader: "r", keep: false, limit: 100)
            #expect(emptyConsuming.next == rest.next)
        }
    }

    @Test("the run gets its environment, working directory and ERRAND_* variables; argv is not re-parsed")
    func environmentAndArguments() async throws {
        try await Fixture().serving { coordinator in
            let run = try await coordinator.start(
                request(
                    ["sh", "-c", "echo \"$ERRAND_RUN_ID $ERRAND_JOB_NAME $PWD\"; printf '%s|' \"$@\"", "sh", "a b", "$HOME", ";ls"],
                    name: "envtest"))
            _ = try await finish(coordinator, run.id)
            let page = try await coordinator.reader.output(id: run.id, after: 0, limit: 100)
            #expect(text(page, .output) == "\(run.id) envtest /tmp\na b|$HOME|;ls|")
        }
    }

    @Test("stop ends the whole process group and records Stopped")
    func stopKillsGroup() async throws {
        try await Fixture().serving { coordinator in
            let marker = "98765\(Int.random(in: 100...999))"
            let run = try await coordinator.start(request(["sh", "-c", "sleep \(marker) & sleep \(marker); wait"]))
            try await Task.sleep(for: .milliseconds(300))
            let stopped = try await coordinator.stop(id: run.id, grace: .seconds(2))
            #expect(stopped.state == .stopped)
            #expect(stopped.reason == "stopped on request")
            try await Task.sleep(for: .milliseconds(200))
            #expect(try processes(matching: "sleep \(marker)") == 0)
        }
    }

    @Test("a process that ignores SIGTERM is killed when its grace has passed on the clock, not before")
    func sigkillAfterGrace() async throws {
        let clock = ManualClock()
        try await Fixture(clock: clock).serving { coordinator in
            let run = try await coordinator.start(request(["sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.1; done"]))
            _ = try await coordinator.reader.output(id: run.id, after: 0, limit: 10, wait: .seconds(5))
            async let stopping = coordinator.stop(id: run.id, grace: .seconds(30))
            try await clock.waitForSleepers(1)  // the grace timer
            clock.advance(by: .seconds(29))
            #expect(try await coordinator.reader.run(id: run.id).state == .stopping)
            clock.advance(by: .seconds(1))
            let stopped = try await stopping
            #expect(stopped.state == .stopped)
            #expect(stopped.signal == 9)
            #expect(stopped.reason == "stopped on request")
        }
    }

    @Test("a timeout stops the run when it passes on the clock and records it Failed with the reason")
    func timeout() async throws {
        let clock = ManualClock()
        try await Fixture(clock: clock).serving { coordinator in
            let run = try await coordinator.start(request(["sleep", "30"], timeout: 3600))
            try await clock.waitForSleepers(1)  // the timeout
            clock.advance(by: .seconds(3599))
            #expect(try await coordinator.reader.run(id: run.id).state == .running)
            clock.advance(by: .seconds(1))
            let ended = try await finish(coordinator, run.id)
            #expect(ended.state == .failed)
            #expect(ended.signal == 15)
            #expect(ended.reason == "timed out after 3600 s and was stopped")
        }
    }

    @Test("a run that writes nothing for its idle limit is stopped and recorded Failed")
    func idleTimeout() async throws {
        let clock = ManualClock()
        try await Fixture(clock: clock).serving { coordinator in
            let plan = RunPlan(
                run: NewRun(
                    argv: ["sh", "-c", "echo ready; sleep 30"], workingDirectory: "/tmp", environment: Self.environment,
                    instance: "test", createdAt: clock.now),
                idleTimeout: .seconds(600))
            let run = try #require(try await coordinator.start(plan))
            _ = try await coordinator.reader.output(id: run.id, after: 0, limit: 10, wait: .seconds(5))
            try await clock.waitForSleepers(1)  // the idle watcher
            clock.advance(by: .seconds(599))
            #expect(try await coordinator.reader.run(id: run.id).state == .running)
            clock.advance(by: .seconds(1))
            let ended = try await finish(coordinator, run.id)
            #expect(ended.state == .failed)
            #expect(ended.reason == "wrote no output for 600 s (idle_timeout) and was stopped")
        }
    }

    @Test("throttling keeps extra runs NotStarted and starts them in order")
    func throttling() async throws {
        try await Fixture(throttleLimit: 1).serving { coordinator in
            let first = try await coordinator.start(request(["sleep", "0.5"], group: "one"))
            let second = try await coordinator.start(request(["true"], group: "one"))
            #expect(first.state == .running)
            #expect(second.state == .notStarted)
            let other = try await coordinator.start(request(["true"], group: "two"))
            #expect(other.state != .notStarted)
            let done = try await finish(coordinator, second.id)
            let firstDone = try await coordinator.reader.run(id: first.id)
            #expect(done.state == .completed)
            #expect(done.startedAt! >= firstDone.endedAt!)
        }
    }

    @Test("a queued run can be stopped before it starts")
    func stopQueued() async throws {
        try await Fixture(throttleLimit: 1).serving { coordinator in
            let blocker = try await coordinator.start(request(["sleep", "5"], group: "q"))
            let queued = try await coordinator.start(request(["true"], group: "q"))
            let stopped = try await coordinator.stop(id: queued.id)
            #expect(stopped.state == .stopped)
            #expect(stopped.startedAt == nil)
            _ = try await coordinator.stop(id: blocker.id, grace: .zero)
        }
    }

    @Test("remove refuses an unfinished run without force, and deletes output with it")
    func remove() async throws {
        try await Fixture().serving { coordinator in
            let run = try await coordinator.start(request(["sleep", "30"]))
            await #expect(throws: ErrandError.self) { try await coordinator.remove(id: run.id, force: false) }
            try await coordinator.remove(id: run.id, force: true)
            await #expect(throws: ErrandError.noSuchRun(run.id)) { try await coordinator.reader.run(id: run.id) }
        }
    }

    @Test("bad requests are refused before a run exists")
    func badRequests() async throws {
        try await Fixture().serving { coordinator in
            await #expect(throws: ErrandError.self) { try await coordinator.start(request(["no-such-program-xyz"])) }
            await #expect(throws: ErrandError.self) {
                try await coordinator.start(RunRequest(argv: ["true"], workingDirectory: "/no/such/dir", environment: Self.environment))
            }
            await #expect(throws: ErrandError.self) { try await coordinator.start(request(["true"], name: "bad name")) }
            let runs = try await coordinator.reader.runs(RunQuery())
            #expect(runs.isEmpty)
        }
    }

    @Test("long and binary output arrives whole")
    func bigOutput() async throws {
        try await Fixture().serving { coordinator in
            // 3 MB: many chunks and several transactions, with a line longer than a chunk.
            let script = "head -c 1000000 /dev/zero | tr '\\0' 'x'; echo; seq 1 200000; printf '\\377\\376'"
            let run = try await coordinator.start(request(["sh", "-c", script]))
            _ = try await finish(coordinator, run.id)
            var bytes: [UInt8] = []
            var after: Int64 = 0
            while true {
                let page = try await coordinator.reader.output(id: run.id, after: after, limit: 1000)
                if page.chunks.isEmpty { break }
                for chunk in page.chunks { bytes += chunk.bytes }
                after = page.next
            }
            var expected = [UInt8](repeating: UInt8(ascii: "x"), count: 1_000_000) + [10]
            expected += Array((1...200_000).map { "\($0)\n" }.joined().utf8)
            expected += [0xff, 0xfe]
            #expect(bytes.count == expected.count)
            #expect(bytes == expected)
        }
    }

    @Test("after a crash, queued runs are queued again and running runs are recorded Failed")
    func recovery() async throws {
        let first = try Fixture()
        let store = first.store
        let queued = try await store.createRun(NewRun(argv: ["true"], environment: Self.environment, instance: "test", createdAt: Date()))
        let interrupted = try await store.createRun(
            NewRun(argv: ["sleep", "1"], environment: Self.environment, instance: "test", createdAt: Date()))
        _ = try await store.updateRun(id: interrupted.id, RunUpdate(state: .running, pid: 999_999, startedAt: Date()))
        let reborn = try Fixture(path: first.path)
        try await reborn.serving { coordinator in
            let failed = try await coordinator.reader.run(id: interrupted.id)
            #expect(failed.state == .failed)
            #expect(failed.reason?.contains("the daemon stopped while the run was Running") == true)
            let done = try await finish(coordinator, queued.id)
            #expect(done.state == .completed)
        }
    }

    @Test("wait with any returns on the first finished run; a timeout returns not done")
    func waitAny() async throws {
        try await Fixture().serving { coordinator in
            let slow = try await coordinator.start(request(["sleep", "600"]))
            let fast = try await coordinator.start(request(["true"]))
            let (done, _) = try await coordinator.reader.wait(ids: [slow.id, fast.id], any: true, timeout: .seconds(10))
            #expect(done)
            let (allDone, _) = try await coordinator.reader.wait(ids: [slow.id, fast.id], any: false, timeout: .milliseconds(200))
            #expect(!allDone)
            _ = try await coordinator.stop(id: slow.id, grace: .zero)
        }
    }

    func processes(matching pattern: String) throws -> Int {
        var count = 0
        for entry in try FileManager.default.contentsOfDirectory(atPath: "/proc") where Int(entry) != nil {
            guard let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            let commandLine = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
            if commandLine == pattern { count += 1 }
        }
        return count
    }
}
