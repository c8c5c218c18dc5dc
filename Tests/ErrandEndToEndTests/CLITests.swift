import ErrandCore
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Every verb end to end: the real binary, a real daemon, real processes.
@Suite("errand CLI end to end", .timeLimit(.minutes(3)))
struct CLITests {
    @Test("start, wait, get, receive: states, exit codes, streams, consuming and kept reads")
    func receiveSemantics() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        let id = try await daemon.start(["sh", "-c", "echo out; echo err >&2; exit 3"])
        #expect(try await daemon.run(["wait", String(id), "--timeout", "30"]).status == 0)
        let run = try await daemon.get(id)
        #expect(run.state == .failed)
        #expect(run.exitCode == 3)
        #expect(run.hasMoreData)

        let first = try await daemon.run(["receive", String(id)])
        #expect(first.stdout == "out\n")
        #expect(first.stderr == "err\n")
        let second = try await daemon.run(["receive", String(id)])
        #expect(second.stdout.isEmpty && second.stderr.isEmpty && second.status == 0)
        #expect(try await daemon.get(id).hasMoreData == false)

        let kept = try await daemon.start(["echo", "kept"])
        _ = try await daemon.run(["wait", String(kept)])
        for _ in 0..<2 { #expect(try await daemon.run(["receive", String(kept), "--keep"]).stdout == "kept\n") }
        #expect(try await daemon.run(["logs", String(id)]).stdout.contains("out\n"))

        let json = try await daemon.run(["receive", String(kept), "--json"])
        let record = try JSONSerialization.jsonObject(with: Data(json.stdout.split(separator: "\n")[0].utf8)) as! [String: Any]
        #expect(record["text"] as? String == "kept")
        #expect(record["stream"] as? String == "output")
        #expect(record["seq"] as? Int == 1)
        #expect(record["time"] is String)
        let logLines = try await daemon.run(["logs", String(id), "--json"]).stdout.split(separator: "\n")
        #expect(logLines.count == 2)
        #expect(logLines.allSatisfy { $0.contains("\"seq\"") && $0.contains("\"stream\"") })
    }

    @Test("the get table has PowerShell's columns and filters by state, name and newest")
    func getTable() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        let done = try await daemon.start(["true"], options: ["--name", "quick"])
        let sleeping = try await daemon.start(["sleep", "30"], options: ["--name", "slow"])
        _ = try await daemon.run(["wait", String(done)])
        let table = try await daemon.run(["get"])
        let lines = table.stdout.split(separator: "\n")
        #expect(
            lines[0].split(separator: " ", omittingEmptySubsequences: true) == [
                "Id", "Name", "Type", "State", "HasMoreData", "Location", "Command",
            ])
        #expect(lines.count == 4)
        #expect(lines[2].contains("quick") && lines[2].contains("Completed") && lines[2].contains("BackgroundJob"))
        #expect(lines[3].contains("slow") && lines[3].contains("Running") && lines[3].contains("sleep 30"))
        #expect(try await daemon.run(["get", "--state", "Running"]).stdout.contains("slow"))
        #expect(!(try await daemon.run(["get", "--state", "running"]).stdout.contains("quick")))
        #expect(try await daemon.run(["get", "q*"]).stdout.contains("quick"))
        #expect(try await daemon.run(["get", "--newest", "1", "--json"]).stdout.contains("\"slow\""))
        let noMore = try await daemon.run(["get", "--has-more-data", "false", "--json"])
        #expect(noMore.stdout.contains("\"quick\"") && !noMore.stdout.contains("\"slow\""))
        _ = try await daemon.run(["stop", String(sleeping), "--grace", "1"])
    }

    @Test("stop ends the whole process group: no child is left behind")
    func stopLeavesNothing() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        let marker = "9876\(Int.random(in: 10_000...99_999))"
        let id = try await daemon.start(["sh", "-c", "sleep \(marker) & sleep \(marker)"])
        try await Task.sleep(for: .milliseconds(500))
        #expect(processCount(commandLine: "sleep \(marker)") == 2)
        let stopped = try await daemon.run(["stop", String(id)])
        #expect(stopped.status == 0)
        #expect(stopped.stdout.contains("Stopped"))
        try await Task.sleep(for: .milliseconds(300))
        #expect(processCount(commandLine: "sleep \(marker)") == 0)
        #expect(try await daemon.get(id).state == .stopped)
    }

    @Test("wait: exit 124 on timeout, --any returns on the first finished run")
    func waitVerb() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        let slow = try await daemon.start(["sleep", "30"])
        let fast = try await daemon.start(["true"])
        let timedOut = try await daemon.run(["wait", String(slow), "--timeout", "0.5"])
        #expect(timedOut.status == 124)
        #expect(timedOut.stderr.contains("timed out"))
        #expect(try await daemon.run(["wait", String(slow), String(fast), "--any", "--timeout", "20"]).status == 0)
        _ = try await daemon.run(["remove", "--force", String(slow)])
    }

    @Test("remove refuses a running run without --force; removing deletes it")
    func removeVerb() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        let id = try await daemon.start(["sleep", "30"])
        let refused = try await daemon.run(["remove", String(id)])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--force"))
        #expect(try await daemon.run(["remove", String(id), "--force"]).status == 0)
        let gone = try await daemon.run(["get", String(id)])
        #expect(gone.status == 1)
        #expect(gone.stderr.contains("no run with id \(id)"))
    }

    @Test(
        "bad input gets a clear message and exit 1",
        arguments: [
            (["get", "999999"], "no run with id 999999"),
            (["receive", "999999"], "no run with id 999999"),
            (["start", "--"], "the command is empty"),
            (["start", "--name", "bad name", "--", "true"], "invalid run name"),
            (["start", "--", "no-such-program-xyz"], "command not found"),
            (["start", "--cwd", "/no/such/dir", "--", "true"], "does not exist"),
            (["get", "--state", "Sleeping"], "unknown state"),
        ])
    func badInput(arguments: [String], message: String) async throws {
        let daemon = try Daemon()
        try await daemon.start()
        let outcome = try await daemon.run(arguments)
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains(message), "stderr: \(outcome.stderr)")
        #expect(outcome.stderr.hasPrefix("errand: "))
    }

    @Test("a daemon that is not there: exit 1 with a message; usage mistakes exit 2")
    func unreachableAndUsage() async throws {
        let port = try Daemon.freePort()
        let outcome = try await errand(["--host", "http://127.0.0.1:\(port)", "get"])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("no daemon answers at http://127.0.0.1:\(port)"))
        #expect(try await errand(["get", "--no-such-flag"]).status == 2)
        #expect(try await errand(["frobnicate"]).status == 2)
    }

    @Test("the run gets the client's cwd and environment, --env and --clean-env")
    func environment() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        let id = try await daemon.start(
            ["sh", "-c", "echo \"$PWD|$FROM_CLIENT|$EXTRA|$ERRAND_JOB_NAME|$ERRAND_RUN_ID\""],
            options: ["--cwd", "/usr", "--env", "EXTRA=x=y", "--name", "envjob"])
        _ = try await daemon.run(["wait", String(id)])
        let output = try await daemon.run(["receive", String(id)], environment: [:])
        #expect(output.stdout == "/usr||x=y|envjob|\(id)\n")
        let inherited = try await daemon.run(
            ["start", "--json", "--", "sh", "-c", "echo $FROM_CLIENT"], environment: ["FROM_CLIENT": "hello"])
        let inheritedID = try JSONCoding.decoder().decode(Run.self, from: Data(inherited.stdout.utf8)).id
        _ = try await daemon.run(["wait", String(inheritedID)])
        #expect(try await daemon.run(["receive", String(inheritedID)]).stdout == "hello\n")
        let clean = try await daemon.start(["/usr/bin/env"], options: ["--clean-env", "--env", "ONLY=1"])
        _ = try await daemon.run(["wait", String(clean)])
        let lines = Set(try await daemon.run(["receive", String(clean)]).stdout.split(separator: "\n").map(String.init))
        // The daemon runs under its default instance name, the host name.
        let instance = "ERRAND_INSTANCE=\(ProcessInfo.processInfo.hostName)"
        #expect(lines == ["ONLY=1", "ERRAND_RUN_ID=\(clean)", "ERRAND_JOB_NAME=Job\(clean)", instance])
    }

    @Test("throttle groups queue runs as NotStarted and start them in order")
    func throttleGroup() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        let first = try await daemon.start(["sleep", "30"], options: ["--throttle-group", "one", "--throttle-limit", "1"])
        let second = try await daemon.start(["true"], options: ["--throttle-group", "one"])
        #expect(try await daemon.get(second).state == .notStarted)
        _ = try await daemon.run(["stop", String(first), "--grace", "1"])
        _ = try await daemon.run(["wait", String(second), "--timeout", "20"])
        let a = try await daemon.get(first)
        let b = try await daemon.get(second)
        #expect(b.state == .completed)
        #expect(b.startedAt! >= a.endedAt!)
    }

    @Test("logs --timestamps, receive --wait streams until the end, --auto-remove removes")
    func followingReads() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        let id = try await daemon.start(["sh", "-c", "echo one; sleep 0.5; echo two"])
        let streamed = try await daemon.run(["receive", String(id), "--wait", "--auto-remove"])
        #expect(streamed.stdout == "one\ntwo\n")
        #expect(try await daemon.run(["get", String(id)]).status == 1)
        let stamped = try await daemon.start(["echo", "hi"])
        _ = try await daemon.run(["wait", String(stamped)])
        let logs = try await daemon.run(["logs", String(stamped), "--timestamps"])
        #expect(logs.stdout.firstMatch(of: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z hi\n$/) != nil, "got \(logs.stdout)")
        let followed = try await daemon.start(["sh", "-c", "sleep 0.3; echo late"])
        #expect(try await daemon.run(["logs", String(followed), "--follow"]).stdout == "late\n")
    }

    @Test("after kill -9 and a restart, finished output is there and running runs are Failed, their processes gone")
    func crashRecovery() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        let finished = try await daemon.start(["echo", "kept"])
        _ = try await daemon.run(["wait", String(finished)])
        let marker = "9876\(Int.random(in: 10_000...99_999))"
        let running = try await daemon.start(["sleep", marker])
        await daemon.stopAndWait(SIGKILL)
        #expect(processCount(commandLine: "sleep \(marker)") == 1)
        let reborn = try Daemon(dataDirectory: daemon.dataDirectory)
        try await reborn.start()
        #expect(try await reborn.run(["receive", String(finished), "--keep"]).stdout == "kept\n")
        let failed = try await reborn.get(running)
        #expect(failed.state == .failed)
        #expect(failed.reason?.contains("the daemon stopped") == true)
        #expect(processCount(commandLine: "sleep \(marker)") == 0)
    }

    @Test("SIGTERM to the daemon stops running runs, records them Stopped, and leaves no child")
    func gracefulShutdown() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        let marker = "9876\(Int.random(in: 10_000...99_999))"
        let id = try await daemon.start(["sleep", marker])
        await daemon.stopAndWait(SIGTERM)
        #expect(processCount(commandLine: "sleep \(marker)") == 0)
        let reborn = try Daemon(dataDirectory: daemon.dataDirectory)
        try await reborn.start()
        let run = try await reborn.get(id)
        #expect(run.state == .stopped)
        #expect(run.reason == "stopped because the daemon shut down")
    }

    @Test("a second daemon on the same data dir is refused")
    func oneDaemonPerDataDir() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        let port = try Daemon.freePort()
        let second = try await errand(["serve", "--listen", "127.0.0.1:\(port)", "--data-dir", daemon.dataDirectory])
        #expect(second.status == 1)
        #expect(second.stderr.contains("already uses the data dir"))
    }

    @Test("with no daemon at the local address the client starts one, detached")
    func autostart() async throws {
        let port = try Daemon.freePort()
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("errand-auto-\(UUID().uuidString)").path
        let environment = ["ERRAND_LISTEN": "127.0.0.1:\(port)", "ERRAND_DATA_DIR": data, "ERRAND_NO_AUTOSTART": "", "ERRAND_HOST": ""]
        let first = try await errand(["start", "--", "echo", "auto"], environment: environment)
        defer {
            if let pid = (try? String(contentsOfFile: data + "/daemon.pid", encoding: .utf8)).flatMap({
                Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }) {
                kill(pid, SIGTERM)
            }
        }
        #expect(first.status == 0)
        #expect(first.stderr.contains("started one at http://127.0.0.1:\(port)"))
        #expect(FileManager.default.fileExists(atPath: data + "/daemon.log"))
        let second = try await errand(["get"], environment: environment)
        #expect(second.status == 0 && second.stderr.isEmpty && second.stdout.contains("echo auto"))
        let off = try await errand(["--host", "http://127.0.0.1:\(try Daemon.freePort())", "get"], environment: environment)
        #expect(off.status == 1)
    }

    @Test("version prints the client's and the daemon's versions")
    func version() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        let outcome = try await daemon.run(["version"])
        #expect(outcome.stdout.contains("client  errand \(ErrandVersion.current)"))
        #expect(outcome.stdout.contains("daemon  errand \(ErrandVersion.current) at \(daemon.url)"))
    }

    @Test("out of file descriptors, runs fail with that reason and the daemon goes on serving")
    func descriptorExhaustion() async throws {
        let daemon = try Daemon()
        daemon.launchPrefix = ["/bin/sh", "-c", "ulimit -n 64; exec \"$0\" \"$@\""]
        try await daemon.start()
        var ids: [Int64] = []
        for _ in 0..<20 { ids.append(try await daemon.start(["sleep", "60"], options: ["--throttle-limit", "100"])) }
        var runs: [Run] = []
        for id in ids { runs.append(try await daemon.get(id)) }
        let failed = runs.filter { $0.state == .failed }
        #expect(!failed.isEmpty, "64 descriptors should not hold 20 runs' pipes")
        #expect(
            failed.allSatisfy { $0.reason?.contains("run out of file descriptors (limit 64 open files)") == true },
            "\(failed.map(\.reason))")
        #expect(runs.contains { $0.state == .running })
        // Once the sleepers are stopped the descriptors are back, and so is the daemon's ability to run.
        let running = runs.filter { $0.state == .running }.map { String($0.id) }
        #expect(try await daemon.run(["stop", "--grace", "0"] + running).status == 0)
        let after = try await daemon.start(["true"])
        #expect(try await daemon.run(["wait", String(after)]).status == 0)
        #expect(try await daemon.get(after).state == .completed)
    }
}
