import ErrandCore
import ErrandHost
import ErrandJobs
import ErrandStore
import ErrandTestSupport
import Foundation
import Testing

/// The job host with a real SQLite file, real packages on disk and real processes.
@Suite("Job host", .timeLimit(.minutes(2)))
struct JobHostTests {
    /// A data dir with a store, a coordinator and a job host; `clock` shifts the job host's "now".
    final class Fixture: Sendable {
        let directory: URL
        let store: SQLiteStore
        let coordinator: RunCoordinator
        let jobs: JobHost

        init(directory: URL? = nil, clockOffset: TimeInterval = 0, clock: (any HostClock)? = nil) throws {
            self.directory =
                directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("errand-jobs-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
            store = try SQLiteStore(path: self.directory.appendingPathComponent("errand.sqlite").path)
            let clock = clock ?? ShiftedClock(offset: clockOffset)
            coordinator = RunCoordinator(
                store: store, configuration: HostConfiguration(instanceName: "test", stopGrace: .seconds(2)), clock: clock)
            var configuration = JobHostConfiguration(dataDirectory: self.directory)
            configuration.baseEnvironment = ["PATH": "/usr/bin:/bin"]
            jobs = JobHost(coordinator: coordinator, configuration: configuration, clock: clock)
        }

        /// Runs the coordinator and the job host for the duration of `body`.
        func serving<T: Sendable>(_ body: @Sendable (JobHost) async throws -> T) async throws -> T {
            try await coordinator.recover()
            try await jobs.load()
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await self.coordinator.run(); return nil
                }
                group.addTask {
                    try await self.jobs.run(); return nil
                }
                let result = try await body(jobs)
                group.cancelAll()
                return result
            }
        }

        /// A package folder holding `run.sh` (and `settings.job` when given).
        func package(_ script: String, settings: String? = nil) throws -> PackageSource {
            let folder = directory.appendingPathComponent("src-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(("#!/bin/sh\n" + script + "\n").utf8).write(to: folder.appendingPathComponent("run.sh"))
            if let settings { try Data(settings.utf8).write(to: folder.appendingPathComponent("settings.job")) }
            return .folder(folder)
        }

        func output(_ id: Int64) async throws -> String {
            try await store.output(runID: id, after: 0, limit: 1000).map { String(decoding: $0.bytes, as: UTF8.self) }.joined()
        }
    }

    func finish(_ jobs: JobHost, _ fixture: Fixture, _ id: Int64) async throws -> Run {
        let (done, runs) = try await fixture.coordinator.reader.wait(ids: [id], any: false, timeout: .seconds(30))
        #expect(done)
        return runs[0]
    }

    /// Polls `condition` every 50 ms for up to `seconds`.
    func eventually(_ seconds: Double = 20, _ condition: @Sendable () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test("a triggered run gets its arguments as argv, the job's environment and a fresh copy of the package")
    func triggeredRun() async throws {
        let fixture = try Fixture()
        try await fixture.serving { jobs in
            _ = try await jobs.deploy(
                DeployRequest(
                    name: "hello",
                    source: try fixture.package(
                        #"""
                        for a in "$@"; do printf '[%s]\n' "$a"; done
                        echo "kind=$ERRAND_JOB_KIND type=$WEBJOBS_TYPE name=$WEBJOBS_NAME args=$ERRAND_ARGUMENTS"
                        echo "data=$ERRAND_DATA_PATH pwd=$(pwd) path=$WEBJOBS_PATH"
                        echo "greeting=$GREETING"
                        touch copy-marker
                        """#, settings: #"{"env": {"GREETING": "hi there"}}"#),
                    continuous: false))
            let run = try await jobs.trigger("hello", arguments: ["a b", #"it's "q""#, "$HOME"])
            let done = try await finish(jobs, fixture, run.id)
            #expect(done.state == .completed)
            #expect(done.job == "hello")
            let text = try await fixture.output(run.id)
            #expect(text.contains("[a b]\n[it's \"q\"]\n[$HOME]\n"))
            #expect(text.contains("kind=triggered type=triggered name=hello args='a b' 'it'\\''s \"q\"' '$HOME'"))
            #expect(text.contains("data=\(fixture.directory.path)/jobs/hello/data"))
            #expect(text.contains("greeting=hi there"))
            // The copy the run worked in is gone; the package itself was never written to.
            let workingDirectory = try #require(done.workingDirectory)
            #expect(workingDirectory.contains("/jobs/hello/work/"))
            #expect(text.contains("pwd=\(workingDirectory) path=\(workingDirectory)"))
            #expect(try await eventually(5) { !FileManager.default.fileExists(atPath: workingDirectory) })
            let view = try await jobs.job(named: "hello")
            #expect(view.kind == "triggered" && view.command == ["/bin/sh", "run.sh"])
            #expect(view.latestRun?.id == run.id)
            #expect(try await jobs.history("hello").map(\.id) == [run.id])
        }
    }

    @Test("overlap: skip refuses a second trigger naming the run; queue waits; replace stops the first")
    func overlap() async throws {
        let fixture = try Fixture()
        try await fixture.serving { jobs in
            _ = try await jobs.deploy(DeployRequest(name: "slow", source: try fixture.package("sleep 30"), continuous: false))
            let first = try await jobs.trigger("slow", arguments: [])
            await #expect(throws: ErrandError.self) { _ = try await jobs.trigger("slow", arguments: []) }
            do {
                _ = try await jobs.trigger("slow", arguments: [])
            } catch let error as ErrandError {
                #expect(error.code == .conflict)
                #expect(error.message.contains("run \(first.id)"))
            }

            _ = try await jobs.replaceSettings("slow", with: Data(#"{"overlap": "queue"}"#.utf8))
            let queued = try await jobs.trigger("slow", arguments: [])
            #expect(queued.state == .notStarted)

            _ = try await jobs.replaceSettings("slow", with: Data(#"{"overlap": "replace", "stopping_wait_time": 1}"#.utf8))
            let replacing = try await jobs.trigger("slow", arguments: [])
            #expect(try await finish(jobs, fixture, first.id).state == .stopped)
            #expect(try await finish(jobs, fixture, queued.id).state == .stopped)
            #expect(replacing.state == .running)
            _ = try await fixture.coordinator.stop(id: replacing.id, grace: .seconds(1))
        }
    }

    @Test("a continuous job that keeps exiting is restarted after a backoff that doubles on the clock")
    func continuousSupervision() async throws {
        let clock = ManualClock()
        let fixture = try Fixture(clock: clock)
        try await fixture.serving { jobs in
            _ = try await jobs.deploy(
                DeployRequest(name: "flaky", source: try fixture.package("echo up; exit 3"), continuous: true))
            for (restart, backoff) in [0.1, 0.2, 0.4, 0.8, 1.6].enumerated() {
                // The scheduler's sleep and the supervisor's backoff.
                try await clock.waitForSleepers(2)
                let view = try await jobs.job(named: "flaky")
                #expect(view.status == "PendingRestart")
                #expect(view.restarts == restart + 1)
                let runs = try await jobs.history("flaky")
                #expect(runs.count == restart + 1)
                let ended = try #require(runs.first?.endedAt)
                #expect(abs(try #require(view.nextAttemptAt).timeIntervalSince(ended) - backoff) < 0.001)
                clock.advance(by: .seconds(backoff - 0.01))
                #expect(try await jobs.history("flaky").count == restart + 1)  // not yet
                clock.advance(by: .milliseconds(10))
                #expect(try await eventually { try await jobs.history("flaky").count == restart + 2 })
            }
            let runs = try await jobs.history("flaky")
            #expect(runs.allSatisfy { $0.state == .failed && $0.exitCode == 3 || !$0.state.isFinished })
            // Newest first: every run after the first is a restart.
            #expect(runs.dropLast().allSatisfy { $0.trigger == .restart })
            #expect(runs.last?.trigger == .manual)
        }
    }

    @Test("stop writes the shutdown file, the job's handler runs, and the job stays stopped across a restart")
    func continuousStop() async throws {
        let fixture = try Fixture()
        try await fixture.serving { jobs in
            _ = try await jobs.deploy(
                DeployRequest(
                    name: "worker",
                    source: try fixture.package(
                        """
                        trap '' TERM
                        echo started
                        while [ ! -f "$ERRAND_SHUTDOWN_FILE" ]; do sleep 0.05; done
                        echo "shutdown file seen" > "$ERRAND_DATA_PATH/marker"
                        exit 0
                        """, settings: #"{"stopping_wait_time": 10}"#),
                    continuous: true))
            #expect(try await eventually { try await jobs.job(named: "worker").status == "Running" })
            try await Task.sleep(for: .milliseconds(300))
            let stopped = try await jobs.disable("worker")
            #expect(stopped.status == "Stopped" && !stopped.enabled)
            let marker = fixture.directory.appendingPathComponent("jobs/worker/data/marker")
            #expect(try String(contentsOf: marker, encoding: .utf8) == "shutdown file seen\n")
            let runs = try await jobs.history("worker")
            #expect(runs.count == 1)
            #expect(runs[0].state == .stopped)
        }
        // A new daemon on the same data dir leaves it stopped.
        let restarted = try Fixture(directory: fixture.directory)
        try await restarted.serving { jobs in
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await jobs.job(named: "worker").status == "Stopped")
            #expect(try await jobs.history("worker").count == 1)
            _ = try await jobs.enable("worker")
            #expect(try await eventually { try await jobs.job(named: "worker").status == "Running" })
            _ = try await jobs.disable("worker")
        }
    }

    @Test("a schedule fires once at each due time on the clock; with overlap skip, ticks during a long run are recorded skipped")
    func scheduled() async throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000)  // an even second
        let clock = ManualClock(now: start)
        let fixture = try Fixture(clock: clock)
        try await fixture.serving { jobs in
            let every2s = "*/2 * * * * *"
            _ = try await jobs.deploy(
                DeployRequest(name: "tick", source: try fixture.package("echo tick"), continuous: false, schedule: every2s))
            _ = try await jobs.deploy(
                DeployRequest(name: "long", source: try fixture.package("sleep 600"), continuous: false, schedule: every2s))
            let view = try await jobs.job(named: "tick")
            #expect(view.kind == "scheduled")
            #expect(view.nextRuns == (1...5).map { start.addingTimeInterval(2 * Double($0)) })

            // A minute of ticks, one clock step at a time.
            let dues = (1...30).map { start.addingTimeInterval(2 * Double($0)) }
            for (index, due) in dues.enumerated() {
                try await clock.waitForSleepers(1)  // the scheduler, asleep until the next tick
                clock.advance(to: due.addingTimeInterval(-0.001))
                #expect(try await jobs.history("tick").count == index)  // not before its time
                clock.advance(to: due)
                #expect(
                    try await eventually {
                        let ticks = try await jobs.history("tick")
                        let long = try await jobs.history("long")
                        return ticks.count == index + 1 && ticks.allSatisfy(\.state.isFinished) && long.count == index + 1
                    })
            }
            let ticks = try await jobs.history("tick", limit: 100)
            #expect(ticks.map(\.createdAt).sorted() == dues)  // each at its due time, none missed or doubled
            #expect(ticks.allSatisfy { $0.trigger == .schedule && $0.triggerDetail == "schedule \(every2s)" })
            #expect(ticks.allSatisfy { $0.state == .completed })

            let long = try await jobs.history("long", limit: 100)
            let ran = try #require(long.last)
            #expect(ran.startedAt != nil && !ran.state.isFinished)
            let skipped = long.dropLast()
            #expect(skipped.count == 29)
            #expect(skipped.allSatisfy { $0.state == .stopped && $0.startedAt == nil })
            #expect(skipped.allSatisfy { $0.reason == "skipped: run \(ran.id) was still running (overlap: skip)" })
            _ = try await jobs.disable("long")
            _ = try await jobs.disable("tick")
            try await jobs.remove("long", force: true)
        }
    }

    @Test("ticks missed while the daemon was down: once runs the latest, skip records it")
    func missedTicks() async throws {
        // Fake clocks placed 20 s into a minute, so no phase (each takes seconds) crosses a tick by accident.
        let minute = (Date().timeIntervalSince1970 / 60).rounded(.up) * 60 + 60
        func offset(_ at: TimeInterval) -> TimeInterval { minute + at - Date().timeIntervalSince1970 }
        let fixture = try Fixture(clockOffset: offset(20))
        try await fixture.serving { jobs in
            _ = try await jobs.deploy(
                DeployRequest(
                    name: "once", source: try fixture.package("echo caught up"), continuous: false, schedule: "0 * * * * *"))
            _ = try await jobs.deploy(
                DeployRequest(
                    name: "skip", source: try fixture.package("echo never"), continuous: false, settings: Data(#"{"missed": "skip"}"#.utf8),
                    schedule: "0 * * * * *"))
        }
        // The daemon comes back three minutes later.
        let later = try Fixture(directory: fixture.directory, clockOffset: offset(200))
        try await later.serving { jobs in
            #expect(try await eventually { try await jobs.history("once").first?.state == .completed })
            let caughtUp = try await jobs.history("once")
            #expect(caughtUp.count == 1)
            #expect(try await later.output(caughtUp[0].id) == "caught up\n")
            let skipped = try await jobs.history("skip")
            #expect(skipped.count == 1)
            #expect(skipped[0].state == .stopped)
            #expect(skipped[0].reason?.contains("while the daemon was not running (missed: skip)") == true)
        }
        // And again at once: the ticks were recorded, so nothing runs twice.
        let again = try Fixture(directory: fixture.directory, clockOffset: offset(210))
        try await again.serving { jobs in
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await jobs.history("once").count == 1)
            #expect(try await jobs.history("skip").count == 1)
        }
    }

    @Test("history keeps history_size runs and pruned runs lose their output; failed runs are retried")
    func historyAndRetries() async throws {
        let fixture = try Fixture()
        try await fixture.serving { jobs in
            _ = try await jobs.deploy(
                DeployRequest(
                    name: "keep2", source: try fixture.package(#"echo "run $1""#, settings: #"{"history_size": "2"}"#),
                    continuous: false))
            var ids: [Int64] = []
            for index in 1...4 {
                let run = try await jobs.trigger("keep2", arguments: [String(index)])
                _ = try await finish(jobs, fixture, run.id)
                ids.append(run.id)
            }
            let newest = [ids[3], ids[2]]
            #expect(try await eventually(5) { try await jobs.history("keep2").map(\.id) == newest })
            #expect(try await fixture.store.run(id: ids[0]) == nil)
            #expect(try await fixture.store.output(runID: ids[0], after: 0, limit: 10).isEmpty)
            #expect(try await fixture.output(ids[3]) == "run 4\n")

            _ = try await jobs.deploy(
                DeployRequest(
                    name: "fails", source: try fixture.package("exit 1", settings: #"{"retries": {"count": 2, "delay": "100ms"}}"#),
                    continuous: false))
            _ = try await jobs.trigger("fails", arguments: [])
            #expect(try await eventually { try await jobs.history("fails").filter { $0.state.isFinished }.count == 3 })
            let attempts = try await jobs.history("fails").reversed().map { $0 }
            #expect(attempts.map(\.attempt) == [1, 2, 3])
            #expect(attempts.map(\.trigger) == [.manual, .retry, .retry])
            #expect(attempts.allSatisfy { $0.state == .failed })
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await jobs.history("fails").count == 3)
        }
    }

    @Test("a retry waits NotStarted in the store until its time on the clock, and a restart keeps it")
    func durableRetry() async throws {
        let clock = ManualClock()
        let fixture = try Fixture(clock: clock)
        let retry = try await fixture.serving { jobs in
            _ = try await jobs.deploy(
                DeployRequest(
                    name: "fails", source: try fixture.package("exit 1", settings: #"{"retries": {"count": 1, "delay": "30s"}}"#),
                    continuous: false))
            let first = try await jobs.trigger("fails", arguments: [])
            #expect(try await eventually { try await jobs.history("fails").count == 2 })
            let retry = try #require(try await jobs.history("fails").first)
            #expect(retry.state == .notStarted && retry.attempt == 2 && retry.trigger == .retry && retry.parentId == first.id)
            let failedAt = try #require(try await fixture.store.run(id: first.id)?.endedAt)
            #expect(retry.notBefore == failedAt.addingTimeInterval(30))
            clock.advance(by: .seconds(29))
            #expect(try await fixture.store.run(id: retry.id)?.state == .notStarted)
            return retry
        }
        // The daemon goes away with the retry pending; the next one holds it until its time, then runs it.
        let reborn = try Fixture(directory: fixture.directory, clock: clock)
        try await reborn.serving { jobs in
            try await clock.waitForSleepers(2)  // the scheduler and the held retry
            #expect(try await reborn.store.run(id: retry.id)?.state == .notStarted)
            clock.advance(by: .seconds(1))
            #expect(try await eventually { try await reborn.store.run(id: retry.id)?.state == .failed })
            #expect(try await jobs.history("fails").count == 2)  // the last attempt: no third
        }
    }

    @Test("a refused deploy leaves the previous version and its settings working")
    func refusedDeploy() async throws {
        let fixture = try Fixture()
        try await fixture.serving { jobs in
            _ = try await jobs.deploy(
                DeployRequest(name: "app", source: try fixture.package("echo v1", settings: #"{"history_size": 5}"#), continuous: false))
            let broken = fixture.directory.appendingPathComponent("broken")
            try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
            try Data("#!/usr/bin/env errand-no-such-interpreter\necho v2\n".utf8).write(to: broken.appendingPathComponent("run.sh"))
            await #expect(throws: ErrandError.self) {
                _ = try await jobs.deploy(DeployRequest(name: "app", source: .folder(broken), continuous: false))
            }
            await #expect(throws: ErrandError.self) {
                _ = try await jobs.deploy(
                    DeployRequest(
                        name: "app", source: try fixture.package("echo v3", settings: #"{"overlap": "sometimes"}"#), continuous: false))
            }
            let view = try await jobs.job(named: "app")
            #expect(view.historySize == 5)
            let run = try await jobs.trigger("app", arguments: [])
            _ = try await finish(jobs, fixture, run.id)
            #expect(try await fixture.output(run.id) == "v1\n")
            await #expect(throws: ErrandError.self) {
                _ = try await jobs.deploy(DeployRequest(name: "../app", source: try fixture.package("echo x"), continuous: false))
            }
        }
    }

    @Test("idle_timeout stops a silent run and records it Failed")
    func idleTimeout() async throws {
        let fixture = try Fixture()
        try await fixture.serving { jobs in
            _ = try await jobs.deploy(
                DeployRequest(
                    name: "quiet", source: try fixture.package("echo hello; sleep 30", settings: #"{"idle_timeout": "500ms"}"#),
                    continuous: false))
            let run = try await jobs.trigger("quiet", arguments: [])
            let done = try await finish(jobs, fixture, run.id)
            #expect(done.state == .failed)
            #expect(done.reason?.contains("idle_timeout") == true)
            let runtime = try #require(done.endedAt).timeIntervalSince(try #require(done.startedAt))
            #expect(runtime < 5)
        }
    }

    @Test("removing a job deletes its history and data; a running job needs force")
    func removal() async throws {
        let fixture = try Fixture()
        try await fixture.serving { jobs in
            _ = try await jobs.deploy(DeployRequest(name: "busy", source: try fixture.package("sleep 30"), continuous: false))
            let run = try await jobs.trigger("busy", arguments: [])
            await #expect(throws: ErrandError.self) { try await jobs.remove("busy", force: false) }
            try await jobs.remove("busy", force: true)
            #expect(try await fixture.store.run(id: run.id) == nil)
            await #expect(throws: ErrandError.self) { _ = try await jobs.job(named: "busy") }
            #expect(!FileManager.default.fileExists(atPath: fixture.directory.appendingPathComponent("jobs/busy").path))
        }
    }

    @Test("redeploying a continuous job stops the old process gracefully and starts the new version at once")
    func continuousRedeploy() async throws {
        let fixture = try Fixture()
        try await fixture.serving { jobs in
            let script = #"echo "version $1"; while [ ! -f "$ERRAND_SHUTDOWN_FILE" ]; do sleep 0.05; done"#
            _ = try await jobs.deploy(
                DeployRequest(name: "svc", source: try fixture.package(script.replacingOccurrences(of: "$1", with: "1")), continuous: true))
            #expect(try await eventually { try await jobs.job(named: "svc").status == "Running" })
            _ = try await jobs.deploy(
                DeployRequest(name: "svc", source: try fixture.package(script.replacingOccurrences(of: "$1", with: "2")), continuous: true))
            #expect(
                try await eventually {
                    let count = try await jobs.history("svc").count
                    let status = try await jobs.job(named: "svc").status
                    return count == 2 && status == "Running"
                })
            let runs = try await jobs.history("svc")
            #expect(runs[1].state == .stopped)
            #expect(try await fixture.output(runs[1].id) == "version 1\n")
            #expect(try await eventually(5) { try await fixture.output(runs[0].id) == "version 2\n" })
            #expect(try await jobs.job(named: "svc").restarts == 0)
            _ = try await jobs.disable("svc")
        }
    }
}
