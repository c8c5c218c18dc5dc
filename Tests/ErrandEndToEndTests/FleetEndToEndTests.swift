import ErrandCore
import ErrandStore
import ErrandTestSupport
import Foundation
import Testing

/// Two real daemons on one real PostgreSQL: any instance answers for a run on another (wait, receive, stop),
/// jobs deployed through one run on the other, continuous jobs on every instance, the instances list both.
/// Dead instances and singleton failover take real seconds: `scripts/checks/fleet` covers them with three
/// daemons and kill -9; the store's side of them is tested without waiting in FleetStoreTests.
@Suite("A fleet of daemons on PostgreSQL", .enabled(if: TestPostgres.url != nil, "needs ERRAND_TEST_POSTGRES (scripts/with-postgres)"))
struct FleetEndToEndTests {
    static func fleet() async throws -> (Daemon, Daemon) {
        let url = try await TestPostgres.freshDatabase()
        let a = try Daemon()
        a.serveArguments = ["--store", url, "--instance", "a"]
        try await a.start()
        let b = try Daemon()
        b.serveArguments = ["--store", url, "--instance", "b"]
        try await b.start()
        return (a, b)
    }

    @Test("a run on one instance is waited for, received and stopped through the other; each run knows its instance")
    func anyInstanceAnswers() async throws {
        let (a, b) = try await Self.fleet()
        defer { a.stop(); b.stop() }
        let listed = try await b.run(["instance", "list", "--json"])
        let instances = try JSONCoding.decoder().decode([InstanceRecord].self, from: Data(listed.stdout.utf8))
        #expect(instances.map(\.name).sorted() == ["a", "b"])
        #expect(instances.allSatisfy { $0.state == .alive && $0.address.hasPrefix("http://127.0.0.1:") })
        #expect(try await a.run(["instance", "list"]).stdout.contains("alive"))

        let id = try await a.start(["sh", "-c", "echo \"on $ERRAND_INSTANCE\"; sleep 1; echo bye"])
        #expect(try await b.run(["wait", String(id), "--timeout", "30"]).status == 0)
        #expect(try await b.run(["receive", String(id)]).stdout == "on a\nbye\n")
        #expect(try await a.run(["receive", String(id)]).stdout == "", "the cursor moved once, through b")
        #expect(try await b.get(id).location == "a")

        // Pinned to another instance, or to any: stored for it, claimed and run there.
        let pinned = try await a.start(["sh", "-c", "echo \"on $ERRAND_INSTANCE\""], options: ["--instance", "b"])
        #expect(try await a.run(["wait", String(pinned), "--timeout", "30"]).status == 0)
        #expect(try await a.run(["receive", String(pinned)]).stdout == "on b\n")
        #expect(try await a.get(pinned).location == "b")
        let anywhere = try await b.start(["true"], options: ["--instance", "any"])
        #expect(try await b.run(["wait", String(anywhere), "--timeout", "30"]).status == 0)
        #expect(["a", "b"].contains(try await b.get(anywhere).location))
        let nowhere = try await a.run(["start", "--instance", "nope", "--", "true"])
        #expect(nowhere.status == 1)
        #expect(nowhere.stderr.contains("no live instance named 'nope'"), "\(nowhere.stderr)")

        let long = try await a.start(["sleep", "987654"])
        let stopped = try await b.run(["stop", String(long), "--grace", "2"])
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(try await a.get(long).state == .stopped)
        #expect(processCount(commandLine: "sleep 987654") == 0)

        // A graceful stop ends the daemon (its fleet member stops last) and leaves the instance dead, not silent.
        await b.stopAndWait()
        let after = try JSONCoding.decoder().decode(
            [InstanceRecord].self, from: Data(try await a.run(["instance", "list", "--json"]).stdout.utf8))
        #expect(after.first { $0.name == "b" }?.state == .dead)
        #expect(after.first { $0.name == "a" }?.state == .alive)
    }

    @Test("a daemon killed and declared dead by its fleet kills, when it restarts, the processes its failed runs left")
    func leftoversOfDeclaredDeath() async throws {
        let url = try await TestPostgres.freshDatabase()
        let a = try Daemon()
        a.serveArguments = ["--store", url, "--instance", "a"]
        try await a.start()
        defer { a.stop() }
        let id = try await a.start(["sleep", "987651"])
        #expect(try await a.get(id).state == .running)
        await a.stopAndWait(SIGKILL)
        #expect(processCount(commandLine: "sleep 987651") == 1, "a kill -9 leaves the run's process behind")
        // Another instance declares it dead (at once here, instead of after 10 s of silence).
        let other = try await PostgresStore.open(url, logger: TestPostgres.logger)
        try await other.register(
            InstanceRecord(name: "b", node: "elsewhere", address: "http://b", version: "test", startedAt: Date()),
            deadAfter: .seconds(60))
        #expect(try await other.reapInstances(deadAfter: .zero, by: "b") == ["a"])
        let failed = try #require(try await other.run(id: id))
        #expect(failed.state == .failed && DeclaredDead.isReason(failed.reason), "\(failed.reason ?? "")")
        await other.close()
        try await a.start()
        for _ in 0..<40 where processCount(commandLine: "sleep 987651") > 0 { try await Task.sleep(for: .milliseconds(250)) }
        #expect(processCount(commandLine: "sleep 987651") == 0)
        #expect(try await a.get(id).state == .failed)
    }

    @Test("a job deployed through one instance is triggered through the other; a continuous job runs on both")
    func jobsReachEveryInstance() async throws {
        let (a, b) = try await Self.fleet()
        defer { a.stop(); b.stop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let script = folder.appendingPathComponent("run.sh")
        try "#!/bin/sh\necho \"ran on $ERRAND_INSTANCE\"\n".write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        #expect(try await a.run(["job", "deploy", "hello", folder.path, "--triggered"]).status == 0)
        let ran = try await b.run(["job", "trigger", "hello", "--wait"])
        #expect(ran.stdout == "ran on b\n", "\(ran.stderr)")

        // The overlap policy (skip, the default) holds across the fleet: a run going on a refuses a trigger on b.
        try "#!/bin/sh\nexec sleep 987652\n".write(to: script, atomically: true, encoding: .utf8)
        #expect(try await a.run(["job", "deploy", "slow", folder.path, "--triggered"]).status == 0)
        #expect(try await a.run(["job", "trigger", "slow"]).status == 0)
        let refused = try await b.run(["job", "trigger", "slow"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("is already running (run "), "\(refused.stderr)")
        #expect(try await b.run(["job", "remove", "slow", "--force"]).status == 0)
        for _ in 0..<60 where processCount(commandLine: "sleep 987652") > 0 { try await Task.sleep(for: .milliseconds(250)) }
        #expect(processCount(commandLine: "sleep 987652") == 0, "removed through b, its run on a was stopped")

        try "#!/bin/sh\necho \"up on $ERRAND_INSTANCE\"\nexec sleep 987653\n".write(to: script, atomically: true, encoding: .utf8)
        #expect(try await b.run(["job", "deploy", "everywhere", folder.path, "--continuous"]).status == 0)
        var locations: [String] = []
        for _ in 0..<60 {
            let runs = try JSONCoding.decoder().decode(
                [Run].self, from: Data(try await a.run(["get", "--state", "Running", "--json"]).stdout.utf8))
            locations = runs.filter { $0.job == "everywhere" }.map(\.location).sorted()
            if locations == ["a", "b"] { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(locations == ["a", "b"])
        // Removed through one instance, it stops on both.
        #expect(try await a.run(["job", "remove", "everywhere"]).status == 0)
        for _ in 0..<60 where processCount(commandLine: "sleep 987653") > 0 {
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(processCount(commandLine: "sleep 987653") == 0)
    }
}
