import ErrandCore
import ErrandHost
import ErrandRunner
import ErrandStore
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Who a run runs as (`--run-as`) and which processes it owns to the end (`kill_mode`). Real processes; the
/// tests that switch users need a root test process (CI runs as root) and the system's `nobody` account.
@Suite("Run identity and kill mode", .timeLimit(.minutes(2)))
struct RunIdentityTests {
    static let isRoot = geteuid() == 0

    func output(_ coordinator: RunCoordinator, _ id: Int64) async throws -> (Run, String, String) {
        let (_, runs) = try await coordinator.reader.wait(ids: [id], any: false, timeout: .seconds(30))
        let page = try await coordinator.reader.output(id: id, after: 0, limit: 100)
        func text(_ stream: OutputChannel) -> String {
            page.chunks.filter { $0.stream == stream }.map { String(decoding: $0.bytes, as: UTF8.self) }.joined()
        }
        return (runs[0], text(.output), text(.error))
    }

    @Test(
        "a run launched as another user has its ids, its groups and a login's environment, not the daemon's",
        .enabled(if: isRoot))
    func runAsAnotherUser() async throws {
        let nobody = try UserAccount.named("nobody")
        let fixture = try RunCoordinatorTests.Fixture(runAs: RunAsPolicy(defaultUser: "nobody"))
        setenv("ERRAND_TEST_DAEMON_SECRET", "daemon-only", 1)
        defer { unsetenv("ERRAND_TEST_DAEMON_SECRET") }
        try await fixture.serving { coordinator in
            let run = try await coordinator.start(
                RunRequest(argv: ["sh", "-c", "id -u; id -g; echo \"$HOME $USER ${ERRAND_TEST_DAEMON_SECRET:-unset}\"; pwd"]))
            #expect(run.runAs == "nobody")
            let (done, text, errors) = try await output(coordinator, run.id)
            #expect(done.state == .completed, "\(errors)")
            let home = nobody.startingDirectory
            #expect(text == "\(nobody.uid)\n\(nobody.gid)\n\(nobody.home) nobody unset\n\(home)\n")
            // What it cannot do: read the daemon's database (0600, the daemon's own).
            chmod(fixture.path, 0o600)
            let reading = try await coordinator.start(RunRequest(argv: ["cat", fixture.path]))
            let (refused, _, complaint) = try await output(coordinator, reading.id)
            #expect(refused.state == .failed)
            #expect(complaint.contains("Permission denied"), "\(complaint)")
        }
        // The stored run says who it ran as, also when read back.
        #expect(try await fixture.store.runs(RunQuery()).allSatisfy { $0.runAs == "nobody" })
    }

    @Test("a caller's environment is kept for a run as another user, with that user's identity in it", .enabled(if: isRoot))
    func callersEnvironmentWithTheUsersIdentity() async throws {
        let fixture = try RunCoordinatorTests.Fixture(runAs: RunAsPolicy(defaultUser: "nobody"))
        try await fixture.serving { coordinator in
            let run = try await coordinator.start(
                RunRequest(
                    argv: ["sh", "-c", "echo $GREETING $USER $LOGNAME"], workingDirectory: "/tmp",
                    environment: ["PATH": "/usr/bin:/bin", "GREETING": "hello", "USER": "root", "LOGNAME": "root"]))
            let (_, text, _) = try await output(coordinator, run.id)
            #expect(text == "hello nobody nobody\n")
        }
    }

    @Test("a run stored for a user the daemon no longer allows fails with the reason and is not launched")
    func storedUserNoLongerAllowed() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("errand-runas-\(UUID().uuidString)").path
        let fixture = try RunCoordinatorTests.Fixture()
        var new = LaunchSafetyTests.newRun(["sh", "-c", "touch \(marker)"])
        new.runAs = "nobody"
        let queued = try await fixture.store.createRun(new)
        try await fixture.serving { coordinator in
            let (_, runs) = try await coordinator.reader.wait(ids: [queued.id], any: false, timeout: .seconds(30))
            #expect(runs[0].state == .failed)
            #expect(runs[0].reason?.contains("does not allow") == true, "\(runs[0].reason ?? "")")
        }
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test("an unknown user name is refused with the name")
    func unknownUser() throws {
        #expect(throws: ErrandError.self) { try UserAccount.named("no-such-user-errand") }
        do {
            _ = try UserAccount.named("no-such-user-errand")
        } catch {
            #expect(error.message.contains("no user 'no-such-user-errand'"))
        }
    }

    @Test("the policy: a job's user must be allowed; without a policy every job runs as the daemon's user")
    func policy() throws {
        let none = RunAsPolicy()
        #expect(try none.user(requested: nil) == nil)
        #expect(throws: ErrandError.self) { try none.user(requested: "nobody") }
        let some = RunAsPolicy(defaultUser: "alice", allowed: ["bob"])
        #expect(some.allowed == ["alice", "bob"])
        #expect(try some.user(requested: nil) == "alice")
        #expect(try some.user(requested: "bob") == "bob")
        #expect(throws: ErrandError.self) { try some.user(requested: "root") }
    }

    @Test("kill mode process: a stop signals the main process only, and what it left keeps running")
    func killModeProcessKeepsLeftovers() async throws {
        let fixture = try RunCoordinatorTests.Fixture(
            launcher: SubprocessLauncher(drainPeriod: .milliseconds(200), leftoverGrace: .seconds(1)))
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("errand-kept-\(UUID().uuidString)").path
        try await fixture.serving { coordinator in
            let plan = RunPlan(
                run: LaunchSafetyTests.newRun(["sh", "-c", "sleep 300 & echo $! > \(pidFile); echo started"]),
                killMode: .process)
            let run = try #require(try await coordinator.start(plan))
            let (done, _, errors) = try await output(coordinator, run.id)
            #expect(done.state == .completed)
            #expect(!errors.contains("SIGTERM"), "\(errors)")
        }
        let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(pid, SIGKILL) }
        #expect(kill(pid, 0) == 0, "the background sleep \(pid) was stopped")
        let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: ")").last?
            .split(separator: " ").first
        #expect(state != "Z")
    }

    @Test("kill mode process: stopping the run leaves its background children")
    func killModeProcessStop() async throws {
        let fixture = try RunCoordinatorTests.Fixture(launcher: SubprocessLauncher(drainPeriod: .milliseconds(200)))
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("errand-kept-\(UUID().uuidString)").path
        try await fixture.serving { coordinator in
            let plan = RunPlan(
                run: LaunchSafetyTests.newRun(["sh", "-c", "sleep 300 & echo $! > \(pidFile); exec sleep 300"]),
                killMode: .process)
            let run = try #require(try await coordinator.start(plan))
            for _ in 0..<200 where !FileManager.default.fileExists(atPath: pidFile) { try await Task.sleep(for: .milliseconds(10)) }
            _ = try await coordinator.stop(id: run.id)
            let (done, _, _) = try await output(coordinator, run.id)
            #expect(done.state == .stopped)
        }
        let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(pid, SIGKILL) }
        #expect(kill(pid, 0) == 0, "the background sleep \(pid) was stopped with the run")
    }
}
