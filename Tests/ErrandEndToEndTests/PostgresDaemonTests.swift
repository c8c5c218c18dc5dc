import ErrandCore
import ErrandTestSupport
import Foundation
import Testing

/// The real binary on a real PostgreSQL (scripts/with-postgres starts one; without it these tests are off):
/// what a user does on SQLite works the same, nothing is written to an SQLite file, and a deployed job's
/// package reaches a second daemon through the database.
@Suite("A daemon on PostgreSQL", .enabled(if: TestPostgres.url != nil, "needs ERRAND_TEST_POSTGRES (scripts/with-postgres)"))
struct PostgresDaemonTests {
    @Test("runs, output, receive and a deployed job work; the data dir has no SQLite file; /healthz shows the store without a password")
    func basics() async throws {
        let url = try await TestPostgres.freshDatabase()
        let daemon = try Daemon()
        daemon.serveArguments = ["--store", url]
        try await daemon.start()
        defer { daemon.stop() }
        let id = try await daemon.start(["sh", "-c", "echo out; echo err >&2; exit 3"])
        #expect(try await daemon.run(["wait", String(id), "--timeout", "30"]).status == 0)
        #expect(try await daemon.get(id).state == .failed)
        #expect(try await daemon.run(["receive", String(id)]).stdout == "out\n")
        #expect(try await daemon.run(["receive", String(id)]).stdout == "")
        let version = try await daemon.run(["version"])
        #expect(version.stdout.contains("store postgres://postgres@127.0.0.1:"), "\(version.stdout)")
        let files = try FileManager.default.contentsOfDirectory(atPath: daemon.dataDirectory)
        #expect(!files.contains { $0.contains("sqlite") }, "\(files)")

        // A job deployed through this daemon runs on a second one whose data dir is empty.
        var package = ZipWriter()
        package.file("run.sh", "#!/bin/sh\necho \"shared $1\"\n", mode: 0o100755)
        let zip = FileManager.default.temporaryDirectory.appendingPathComponent("pg-\(UUID().uuidString).zip").path
        try package.write(to: URL(fileURLWithPath: zip))
        #expect(try await daemon.run(["job", "deploy", "shared", zip, "--triggered"]).status == 0)
        await daemon.stopAndWait()
        let second = try Daemon()
        second.serveArguments = ["--store", url, "--instance", "second"]
        try await second.start()
        defer { second.stop() }
        let ran = try await second.run(["job", "trigger", "shared", "--wait", "--", "hello"])
        #expect(ran.stdout == "shared hello\n", "\(ran.stderr)")
    }

    @Test("a wrong password or an unreachable server stops errand serve at once, with a message and no password")
    func refusesBadServers() async throws {
        let url = try #require(TestPostgres.url)
        var components = try #require(URLComponents(string: url))
        components.port = try Daemon.freePort()
        components.password = "hunter2"
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("pg-bad-\(UUID().uuidString)").path
        let refused = try await errand(["serve", "--listen", "127.0.0.1:0", "--data-dir", data, "--store", components.string!])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("cannot connect to the store postgres://postgres@127.0.0.1:"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("hunter2"))
        let badURL = try await errand(["serve", "--data-dir", data, "--store", "postgres://u:hunter2@db/e?sslmode=maybe"])
        #expect(badURL.status != 0)
        #expect(badURL.stderr.contains("sslmode"), "\(badURL.stderr)")
        #expect(!badURL.stderr.contains("hunter2"))
    }

    @Test("store copy moves a daemon's history, jobs, packages and tokens to an empty PostgreSQL; a second copy is refused")
    func copiesFromSQLite() async throws {
        let single = try Daemon()
        try await single.start()
        let first = try await single.start(["sh", "-c", "echo one"])
        let second = try await single.start(["sh", "-c", "echo two; exit 4"])
        #expect(try await single.run(["wait", String(first), String(second), "--timeout", "30"]).status == 0)
        var package = ZipWriter()
        package.file("run.sh", "#!/bin/sh\necho \"moved $1\"\n", mode: 0o100755)
        let zip = FileManager.default.temporaryDirectory.appendingPathComponent("pg-\(UUID().uuidString).zip").path
        try package.write(to: URL(fileURLWithPath: zip))
        #expect(try await single.run(["job", "deploy", "moved", zip, "--triggered"]).status == 0)
        #expect(try await single.run(["token", "create", "ops", "--role", "admin", "--data-dir", single.dataDirectory]).status == 0)
        await single.stopAndWait()

        let url = try await TestPostgres.freshDatabase()
        let sqlite = "sqlite:" + single.dataDirectory + "/errand.sqlite"
        let copied = try await errand(["store", "copy", "--from", sqlite, "--to", url])
        #expect(copied.status == 0, "\(copied.stderr)")
        #expect(copied.stdout.contains("1 packages"), "\(copied.stdout)")
        let again = try await errand(["store", "copy", "--from", sqlite, "--to", url])
        #expect(again.status == 1)
        #expect(again.stderr.contains("is not empty"), "\(again.stderr)")

        let fleet = try Daemon()
        fleet.serveArguments = ["--store", url]
        try await fleet.start()
        defer { fleet.stop() }
        #expect(try await fleet.get(first).state == .completed)
        #expect(try await fleet.get(second).exitCode == 4)
        #expect(try await fleet.run(["receive", String(first)]).stdout == "one\n")
        let ran = try await fleet.run(["job", "trigger", "moved", "--wait", "--", "here"])
        #expect(ran.stdout == "moved here\n", "\(ran.stderr)")
        // New runs continue after the copied ids.
        #expect(try await fleet.start(["true"]) > second)
        let tokens = try await errand(["token", "list", "--store", url])
        #expect(tokens.stdout.contains("ops"), "\(tokens.stdout) \(tokens.stderr)")
    }

    @Test("a second daemon starting on the same database leaves the first one's running runs alone")
    func recoversOnlyItsOwnRuns() async throws {
        let url = try await TestPostgres.freshDatabase()
        let first = try Daemon()
        first.serveArguments = ["--store", url, "--instance", "first"]
        try await first.start()
        defer { first.stop() }
        let id = try await first.start(["sleep", "30"])
        let second = try Daemon()
        second.serveArguments = ["--store", url, "--instance", "second"]
        try await second.start()
        defer { second.stop() }
        #expect(try await second.get(id).state == .running)
        #expect(try await first.run(["stop", String(id)]).status == 0)
    }

    @Test("PostgreSQL going down mid-run: the run goes on, ends while it is down, and is recorded whole once it is back")
    func survivesAnOutage() async throws {
        let cluster = try await TestPostgresCluster.start(port: try Daemon.freePort())
        let daemon = try Daemon()
        daemon.serveArguments = ["--store", cluster.url]
        do {
            try await outage(of: cluster, under: daemon)
        } catch {
            await daemon.stopAndWait()
            await cluster.remove()
            throw error
        }
        await daemon.stopAndWait()
        await cluster.remove()
    }

    private func outage(of cluster: TestPostgresCluster, under daemon: Daemon) async throws {
        try await daemon.start()
        let id = try await daemon.start(["sh", "-c", "i=1; while [ $i -le 20 ]; do echo line$i; i=$((i+1)); sleep 0.1; done"])
        try await Task.sleep(for: .milliseconds(500))
        try await cluster.stop()
        // Meanwhile the API answers 503, not a hang and not a 500.
        let during = try await daemon.run(["get", String(id)])
        #expect(during.status != 0)
        #expect(during.stderr.contains("store"), "\(during.stderr)")
        try await Task.sleep(for: .seconds(3))  // the run ends while the server is down
        try await cluster.start()
        #expect(try await daemon.run(["wait", String(id), "--timeout", "60"]).status == 0)
        let run = try await daemon.get(id)
        #expect(run.state == .completed, "\(run.reason ?? "")")
        let log = try await daemon.run(["logs", String(id)])
        #expect(log.stdout == (1...20).map { "line\($0)\n" }.joined(), "\(log.stdout)")
    }

    @Test("sessions, a schedule and the dashboard work on PostgreSQL as on SQLite")
    func sessionsSchedulesDashboard() async throws {
        let daemon = try Daemon()
        daemon.serveArguments = ["--store", try await TestPostgres.freshDatabase()]
        try await daemon.start()
        defer { daemon.stop() }
        // A session's reader: what one session received, another still has.
        for name in ["alpha", "beta"] { #expect(try await daemon.run(["session", "new", name]).status == 0) }
        let id = try await daemon.start(["sh", "-c", "echo one"], options: ["--session", "alpha"])
        #expect(try await daemon.run(["wait", String(id), "--timeout", "30"]).status == 0)
        #expect(try await daemon.run(["receive", "--session", "alpha", String(id)]).stdout == "one\n")
        #expect(try await daemon.run(["receive", "--session", "alpha", String(id)]).stdout.isEmpty)
        #expect(try await daemon.run(["receive", "--session", "beta", String(id)]).stdout == "one\n")
        #expect(try await daemon.run(["session", "remove", "alpha"]).status == 0)

        // A job on a schedule every second fires on its own (ticks claimed in the database).
        var tick = ZipWriter()
        tick.file("run.sh", "#!/bin/sh\necho tick\n", mode: 0o100755)
        let zip = FileManager.default.temporaryDirectory.appendingPathComponent("pg-\(UUID().uuidString).zip").path
        try tick.write(to: URL(fileURLWithPath: zip))
        #expect(try await daemon.run(["job", "deploy", "tick", zip, "--triggered", "--schedule", "* * * * * *"]).status == 0)
        var fired = false
        for _ in 0..<50 where !fired {
            let history = try await daemon.run(["job", "history", "tick", "--json"])
            fired = history.stdout.contains("\"Completed\"")
            if !fired { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(fired, "no scheduled run completed within 10 s")

        // The dashboard's pages read the same store.
        let curl = try #require(which("curl"))
        let page = try await runProgram(curl, ["-s", daemon.url + "/runs"])
        #expect(page.stdout.contains("Job\(id)") || page.stdout.contains("echo one"), "\(page.stdout.prefix(300))")
        let jobs = try await runProgram(curl, ["-s", daemon.url + "/jobs"])
        #expect(jobs.stdout.contains("tick"))
    }
}
