import ErrandCore
import ErrandHost
import ErrandRunner
import ErrandStore
import Foundation
import GRDB
import Synchronization
import Testing

/// A command is never executed twice because of a crash or a store error, and a run owns its process
/// group to the end. Real SQLite files, real processes.
@Suite("Launch safety", .timeLimit(.minutes(2)))
struct LaunchSafetyTests {
    /// Counts launches and passes them on to real processes.
    final class CountingLauncher: ProcessLauncher {
        let launches = Mutex(0)
        let inner: SubprocessLauncher

        init(_ inner: SubprocessLauncher = SubprocessLauncher()) { self.inner = inner }

        func run(
            _ spec: LaunchSpec, started: @Sendable (any LaunchedWork) async -> Void,
            output: @escaping @Sendable (OutputChannel, [UInt8]) async -> Void
        ) async throws(LaunchError) -> ErrandCore.ExitStatus {
            launches.withLock { $0 += 1 }
            return try await inner.run(spec, started: started, output: output)
        }
    }

    static func newRun(_ argv: [String]) -> NewRun {
        NewRun(argv: argv, workingDirectory: "/tmp", environment: ["PATH": "/usr/bin:/bin"], instance: "test", createdAt: Date())
    }

    @Test("a run whose launch had begun when the daemon died is Failed at restart, not launched again")
    func crashDuringLaunch() async throws {
        let fixture = try RunCoordinatorTests.Fixture()
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("errand-twice-\(UUID().uuidString)").path
        // What a daemon that died between the launch mark and the process leaves behind.
        let begun = try await fixture.store.createRun(Self.newRun(["sh", "-c", "echo ran >> \(marker)"]))
        _ = try await fixture.store.updateRun(id: begun.id, RunUpdate(startedAt: Date()))
        // And a run that was only queued: it runs after the restart.
        let queued = try await fixture.store.createRun(Self.newRun(["true"]))

        let launcher = CountingLauncher()
        let restarted = try RunCoordinatorTests.Fixture(path: fixture.path, launcher: launcher)
        try await restarted.serving { coordinator in
            let (done, runs) = try await coordinator.reader.wait(ids: [begun.id, queued.id], any: false, timeout: .seconds(30))
            #expect(done)
            #expect(runs.map(\.state) == [.failed, .completed])
            #expect(runs[0].reason?.contains("not launched again") == true, "\(runs[0].reason ?? "")")
        }
        #expect(launcher.launches.withLock { $0 } == 1)
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test("a run whose launch cannot be recorded is not launched and ends Failed with the reason")
    func storeErrorAtLaunch() async throws {
        let fixture = try RunCoordinatorTests.Fixture()
        // The store refuses the launch mark (a write of started_at while NotStarted), as a full disk would.
        let database = try DatabaseQueue(path: fixture.path)
        try await database.write { db in
            try db.execute(
                sql: """
                    CREATE TRIGGER refuse_launch BEFORE UPDATE OF started_at ON runs
                    WHEN NEW.state = 'NotStarted' BEGIN SELECT RAISE(ABORT, 'simulated write failure'); END
                    """)
        }
        let launcher = CountingLauncher()
        let broken = try RunCoordinatorTests.Fixture(path: fixture.path, launcher: launcher)
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("errand-never-\(UUID().uuidString)").path
        try await broken.serving { coordinator in
            let run = try await coordinator.start(
                RunRequest(argv: ["sh", "-c", "touch \(marker)"], workingDirectory: "/tmp", environment: ["PATH": "/usr/bin:/bin"]))
            let (done, runs) = try await coordinator.reader.wait(ids: [run.id], any: false, timeout: .seconds(30))
            #expect(done)
            #expect(runs[0].state == .failed)
            #expect(runs[0].reason?.contains("could not record its launch") == true, "\(runs[0].reason ?? "")")
        }
        #expect(launcher.launches.withLock { $0 } == 0)
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test("output a background child prints after the leader exits is kept (within the drain period)")
    func lateOutputIsKept() async throws {
        let fixture = try RunCoordinatorTests.Fixture(launcher: SubprocessLauncher(drainPeriod: .seconds(5)))
        try await fixture.serving { coordinator in
            let run = try await coordinator.start(
                RunRequest(
                    argv: ["sh", "-c", "(sleep 0.3; echo late) & echo early"], workingDirectory: "/tmp",
                    environment: ["PATH": "/usr/bin:/bin"]))
            let (_, runs) = try await coordinator.reader.wait(ids: [run.id], any: false, timeout: .seconds(30))
            #expect(runs[0].state == .completed)
            let page = try await coordinator.reader.output(id: run.id, after: 0, limit: 100)
            let text = page.chunks.map { String(decoding: $0.bytes, as: UTF8.self) }.joined()
            #expect(text == "early\nlate\n")
        }
    }

    @Test("what is left of the process group after the drain period is stopped, and the log says so")
    func leftoversAreStopped() async throws {
        let fixture = try RunCoordinatorTests.Fixture(
            launcher: SubprocessLauncher(drainPeriod: .milliseconds(200), leftoverGrace: .seconds(1)))
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("errand-left-\(UUID().uuidString)").path
        try await fixture.serving { coordinator in
            let run = try await coordinator.start(
                RunRequest(
                    argv: ["sh", "-c", "sleep 300 & echo $! > \(pidFile); echo started"], workingDirectory: "/tmp",
                    environment: ["PATH": "/usr/bin:/bin"]))
            let (_, runs) = try await coordinator.reader.wait(ids: [run.id], any: false, timeout: .seconds(30))
            #expect(runs[0].state == .completed)
            let page = try await coordinator.reader.output(id: run.id, after: 0, limit: 100)
            let errors = page.chunks.filter { $0.stream == .error }.map { String(decoding: $0.bytes, as: UTF8.self) }.joined()
            #expect(errors.contains("left processes in its group: sent them SIGTERM"), "\(errors)")
        }
        let text = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let pid = try #require(Int32(text))
        // Gone, or an orphaned zombie nobody reaped (the test's container may have no init that reaps).
        let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: ")").last?
            .split(separator: " ").first
        #expect(state == nil || state == "Z", "the background sleep \(pid) still runs (\(state ?? ""))")
    }
}
