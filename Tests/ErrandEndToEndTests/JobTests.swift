import ErrandCore
import ErrandTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `errand job …` end to end: packages deployed through the real binary to a real daemon, run as real
/// processes. Each test has its own daemon, so they run side by side.
@Suite("errand job end to end", .timeLimit(.minutes(3)))
struct JobTests {
    /// Prints each argument in brackets, one per line, so the test sees them exactly; `fail` exits 3.
    static let echoArguments = """
        #!/bin/sh
        for a in "$@"; do printf '[%s]\\n' "$a"; done
        echo "job=$ERRAND_JOB_NAME kind=$ERRAND_JOB_KIND webjob=$WEBJOBS_NAME"
        [ "$1" = fail ] && exit 3
        exit 0

        """

    @Test(
        "a zip with run.sh, triggered with arguments holding spaces and quotes: the history has a Completed run whose log holds them exactly"
    )
    func triggeredWithArguments() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        defer { daemon.stop() }
        var zip = ZipWriter()
        zip.file("run.sh", Self.echoArguments, mode: 0o100755)
        let deployed = try await daemon.run(["job", "deploy", "echo", try write(zip), "--triggered"])
        #expect(deployed.status == 0, "\(deployed.stderr)")
        #expect(deployed.stdout.contains("Deployed job 'echo'"))
        #expect(deployed.stdout.contains("Kind:") && deployed.stdout.contains("triggered"))
        #expect(deployed.stdout.contains("/bin/sh run.sh"))

        let arguments = ["two words", "it's", "say \"hi\"", "", "$HOME `id` *", "back\\slash"]
        let expected = arguments.map { "[\($0)]\n" }.joined() + "job=echo kind=triggered webjob=echo\n"
        let waited = try await daemon.run(["job", "trigger", "echo", "--wait", "--"] + arguments)
        #expect(waited.status == 0, "\(waited.stderr)")
        #expect(waited.stdout == expected)

        let history = try await jobHistory(daemon, "echo")
        #expect(history.count == 1)
        let run = try #require(history.first)
        #expect(run.state == .completed)
        #expect(run.job == "echo")
        #expect(run.exitCode == 0)
        #expect(run.trigger == .manual && run.triggerDetail?.hasPrefix("manual (errand/") == true)
        #expect(Array(run.argv.suffix(arguments.count)) == arguments)
        #expect(try await daemon.run(["logs", String(run.id)]).stdout == expected)
        let table = try await daemon.run(["job", "history", "echo"])
        #expect(
            table.stdout.split(separator: "\n")[0].split(separator: " ", omittingEmptySubsequences: true) == [
                "Id", "State", "Trigger", "Started", "Duration", "ExitCode", "Reason",
            ])
        #expect(table.stdout.contains("Completed"))

        // Without --wait the run is printed at once; with --wait a failed run's exit code is the command's.
        let started = try await daemon.run(["job", "trigger", "echo", "--json", "--", "x"])
        let startedRun = try JSONCoding.decoder().decode(Run.self, from: Data(started.stdout.utf8))
        #expect(startedRun.job == "echo")
        _ = try await daemon.run(["wait", String(startedRun.id)])
        let failed = try await daemon.run(["job", "trigger", "echo", "--wait", "--", "fail"])
        #expect(failed.status == 3)
        #expect(failed.stdout.hasPrefix("[fail]\n"))
        #expect(failed.stderr.contains("failed: exited with code 3"), "\(failed.stderr)")
    }

    @Test("trigger --wait never misses the output of a run that ends while the first read is made")
    func quickRunsKeepTheirOutput() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        defer { daemon.stop() }
        var zip = ZipWriter()
        zip.file("run.sh", "#!/bin/sh\necho \"$1\"\n")
        // Four jobs triggered side by side keep the daemon busy, which widens the window the bug needed.
        for job in 0..<4 {
            #expect(try await daemon.run(["job", "deploy", "quick\(job)", try write(zip), "--triggered"]).status == 0)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for job in 0..<4 {
                group.addTask {
                    for index in 0..<15 {
                        let outcome = try await daemon.run(["job", "trigger", "quick\(job)", "--wait", "--", "run \(index)"])
                        #expect(outcome.status == 0 && outcome.stdout == "run \(index)\n", "quick\(job) run \(index): '\(outcome.stdout)'")
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test("a folder is zipped by the CLI with exec bits and links kept; a single script deploys alone")
    func folderAndScriptDeploys() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        defer { daemon.stop() }
        let folder = try temporaryFolder()
        try "#!/bin/sh\n./tool && ./linked && [ -L linked ] && echo link kept && cat sub/data.txt\n".write(
            toFile: folder + "/run.sh", atomically: true, encoding: .utf8)
        try "#!/bin/sh\necho tool ran\n".write(toFile: folder + "/tool", atomically: true, encoding: .utf8)
        chmod(folder + "/tool", 0o755)
        symlink("tool", folder + "/linked")
        try FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: true)
        try "data\n".write(toFile: folder + "/sub/data.txt", atomically: true, encoding: .utf8)
        #expect(try await daemon.run(["job", "deploy", "folder", folder, "--triggered"]).status == 0)
        let ran = try await daemon.run(["job", "trigger", "folder", "--wait"])
        #expect(ran.status == 0, "\(ran.stderr)")
        #expect(ran.stdout == "tool ran\ntool ran\nlink kept\ndata\n")

        let script = try temporaryFolder() + "/hello.sh"
        try "#!/bin/sh\necho hello \"$1\"\n".write(toFile: script, atomically: true, encoding: .utf8)
        #expect(try await daemon.run(["job", "deploy", "single", script, "--triggered"]).status == 0)
        #expect(try await daemon.run(["job", "trigger", "single", "--wait", "--", "there"]).stdout == "hello there\n")

        mkfifo(folder + "/pipe", 0o644)
        let fifo = try await daemon.run(["job", "deploy", "folder", folder, "--triggered"])
        #expect(fifo.status == 1)
        #expect(fifo.stderr.contains("pipe") && fifo.stderr.contains("FIFO"), "\(fifo.stderr)")
    }

    @Test("a continuous job that exits every second is restarted with backoff, stops gracefully and stays stopped across a restart")
    func continuousJob() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        defer { daemon.stop() }
        // Starts 1-4 exit with code 1 after about a second; later ones run until the shutdown file appears.
        let script = """
            #!/bin/sh
            n=$(cat "$ERRAND_DATA_PATH/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$ERRAND_DATA_PATH/count"
            echo "start $n"
            trap 'echo TERM' TERM
            i=0
            while :; do
              if [ -f "$ERRAND_SHUTDOWN_FILE" ]; then echo "shutdown file seen"; echo graceful > "$ERRAND_DATA_PATH/marker"; exit 0; fi
              i=$((i+1)); if [ $n -le 4 ] && [ $i -ge 10 ]; then exit 1; fi
              sleep 0.1
            done

            """
        var zip = ZipWriter()
        zip.file("run.sh", script)
        let deployed = try await daemon.run(["job", "deploy", "worker", try write(zip), "--continuous"])
        #expect(deployed.status == 0, "\(deployed.stderr)")

        var restarts: [Int] = []
        var sawPendingRestart = false
        // Each look goes through the CLI; on a loaded machine a look can take longer than a backoff window.
        var longestGap = 0.0
        var lastLook = Date()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let view = try await jobView(daemon, "worker")
            longestGap = max(longestGap, Date().timeIntervalSince(lastLook))
            lastLook = Date()
            restarts.append(view.restarts)
            if view.status == "PendingRestart" {
                sawPendingRestart = true
                #expect(view.nextAttemptAt != nil)
                let shown = try await daemon.run(["job", "show", "worker"])
                // A moment later it may have moved on; when it has not, the text says when the next attempt is.
                let text = shown.stdout
                #expect(["PendingRestart (next attempt at ", "Starting", "Running"].contains { text.contains($0) }, "\(text)")
            }
            if view.restarts >= 4 && view.status == "Running" && view.latestRun?.state == .running { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        // The fourth wait is 800 ms long: looks closer together than that cannot all miss it.
        #expect(sawPendingRestart || longestGap >= 0.8, "longest gap between looks \(longestGap) s")
        #expect(restarts.last == 4)
        #expect(restarts == restarts.sorted(), "restarts never go down: \(restarts)")

        // The waits between an exit and the next start double (100, 200, 400, 800 ms).
        let runs = try await jobHistory(daemon, "worker").reversed().map { $0 }
        #expect(runs.count == 5)
        #expect(runs.prefix(4).allSatisfy { $0.state == .failed && $0.exitCode == 1 })
        var gaps: [Double] = []
        for index in 1..<runs.count {
            if let ended = runs[index - 1].endedAt { gaps.append(runs[index].createdAt.timeIntervalSince(ended)) }
        }
        #expect(gaps.count == 4)
        // Each wait is at least the backoff's delay; how much longer depends on the machine's load, so upper
        // bounds are the benchmark's business (docs/benchmarks.md, continuous), not this test's.
        for (index, gap) in gaps.enumerated() {
            #expect(gap >= 0.095 * Double(1 << index), "restart \(index + 1) after \(gap) s: \(gaps)")
        }
        #expect(runs.last?.trigger == .restart)

        let stopped = try await daemon.run(["job", "stop", "worker"])
        #expect(stopped.status == 0, "\(stopped.stderr)")
        let marker = daemon.dataDirectory + "/jobs/worker/data/marker"
        #expect((try? String(contentsOfFile: marker, encoding: .utf8)) == "graceful\n")
        let last = try #require(try await jobHistory(daemon, "worker").first)
        #expect(last.state == .stopped)
        #expect(try await daemon.run(["logs", String(last.id)]).stdout.contains("shutdown file seen"))
        var view = try await jobView(daemon, "worker")
        #expect(view.status == "Stopped" && !view.enabled)

        await daemon.stopAndWait()
        let reborn = try Daemon(dataDirectory: daemon.dataDirectory)
        try await reborn.start()
        defer { reborn.stop() }
        try await Task.sleep(for: .seconds(1))
        view = try await jobView(reborn, "worker")
        #expect(view.status == "Stopped" && !view.enabled)
        #expect(try await jobHistory(reborn, "worker").count == 5)
        #expect(try await reborn.run(["job", "show", "worker"]).stdout.contains("Stopped"))

        let restarted = try await reborn.run(["job", "start", "worker"])
        #expect(restarted.status == 0, "\(restarted.stderr)")
        var running = false
        for _ in 0..<50 where !running {
            running = try await jobView(reborn, "worker").latestRun?.state == .running
            if !running { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(running)
        #expect(try await jobHistory(reborn, "worker").count == 6)
    }

    @Test("a retry pending when the daemon is killed with SIGKILL runs after the restart, once")
    func retrySurvivesKill() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        let folder = try temporaryFolder()
        let mark = folder + "/tried"
        var flaky = ZipWriter()
        flaky.file("run.sh", "#!/bin/sh\nif [ -e \(mark) ]; then echo second; exit 0; fi\ntouch \(mark); echo first; exit 3\n")
        let settings = folder + "/settings.job"
        try #"{"retries": {"count": 1, "delay": "3s"}}"#.write(toFile: settings, atomically: true, encoding: .utf8)
        let deployed = try await daemon.run(["job", "deploy", "flaky", try write(flaky), "--triggered", "--settings", settings])
        #expect(deployed.status == 0, "\(deployed.stderr)")
        #expect(try await daemon.run(["job", "trigger", "flaky"]).status == 0)
        var pending: Run?
        for _ in 0..<100 where pending == nil {
            pending = try await jobHistory(daemon, "flaky").first { $0.attempt == 2 }
            if pending == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let retry = try #require(pending)
        #expect(retry.state == .notStarted && retry.notBefore != nil)
        await daemon.stopAndWait(SIGKILL)

        let reborn = try Daemon(dataDirectory: daemon.dataDirectory)
        try await reborn.start()
        defer { reborn.stop() }
        let waited = try await reborn.run(["wait", String(retry.id), "--timeout", "30"])
        #expect(waited.status == 0, "\(waited.stderr)")
        let ran = try await reborn.get(retry.id)
        #expect(ran.state == .completed)
        #expect(try #require(ran.startedAt) >= retry.notBefore!)
        #expect(try await reborn.run(["receive", String(retry.id)]).stdout == "second\n")
        #expect(try await jobHistory(reborn, "flaky").count == 2)
    }

    @Test("trigger --wait follows a failed attempt to its retries and exits with the last attempt's result")
    func triggerWaitFollowsRetries() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        defer { daemon.stop() }
        let folder = try temporaryFolder()
        let mark = folder + "/tried"
        var flaky = ZipWriter()
        flaky.file("run.sh", "#!/bin/sh\nif [ -e \(mark) ]; then echo second; exit 0; fi\ntouch \(mark); echo first; exit 3\n")
        var broken = ZipWriter()
        broken.file("run.sh", "#!/bin/sh\necho attempt; exit 4\n")
        let settings = folder + "/settings.job"
        try #"{"retries": {"count": 2, "delay": "1s", "backoff": "fixed"}}"#.write(toFile: settings, atomically: true, encoding: .utf8)
        for (name, zip) in [("flaky", flaky), ("broken", broken)] {
            let deployed = try await daemon.run(["job", "deploy", name, try write(zip), "--triggered", "--settings", settings])
            #expect(deployed.status == 0, "\(deployed.stderr)")
        }
        let recovered = try await daemon.run(["job", "trigger", "flaky", "--wait"])
        #expect(recovered.status == 0, "\(recovered.stderr)")
        #expect(recovered.stdout == "first\nsecond\n")
        #expect(recovered.stderr.contains("retry 1 of 2 in 1 s"))
        let hopeless = try await daemon.run(["job", "trigger", "broken", "--wait"])
        #expect(hopeless.status == 4)
        #expect(hopeless.stdout == "attempt\nattempt\nattempt\n")
        #expect(hopeless.stderr.contains("retry 2 of 2 in 1 s"))
        #expect(try await jobHistory(daemon, "broken").map(\.attempt).sorted() == [1, 2, 3])
    }

    @Test("a job scheduled every 2 seconds fires; with overlap skip a long run's skipped ticks are in the history")
    func scheduledJobs() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        defer { daemon.stop() }
        var quick = ZipWriter()
        quick.file("run.sh", "#!/bin/sh\necho tick\n")
        var slow = ZipWriter()
        slow.file("run.sh", "#!/bin/sh\nsleep 5\n")
        let settings = try temporaryFolder() + "/settings.job"
        try #"{"overlap": "skip"}"#.write(toFile: settings, atomically: true, encoding: .utf8)
        let every2s = "*/2 * * * * *"
        let deployed = try await daemon.run(["job", "deploy", "tick", try write(quick), "--triggered", "--schedule", every2s])
        #expect(deployed.status == 0, "\(deployed.stderr)")
        #expect(deployed.stdout.contains("Every 2 seconds"), "\(deployed.stdout)")
        #expect(deployed.stdout.contains("Next runs:"))
        let slowDeploy = try await daemon.run(
            ["job", "deploy", "slow", try write(slow), "--triggered", "--schedule", every2s, "--settings", settings])
        #expect(slowDeploy.status == 0, "\(slowDeploy.stderr)")
        let view = try await jobView(daemon, "tick")
        #expect(view.kind == "scheduled" && view.nextRuns.count == 5)
        #expect(zip(view.nextRuns, view.nextRuns.dropFirst()).allSatisfy { abs($1.timeIntervalSince($0) - 2) < 0.001 })

        // Through the real binary and clock: ticks arrive and a long run's ticks are skipped. Punctuality, each
        // tick once and the exact skips over a minute of ticks are tested with a manual clock (JobHostTests).
        var ticks: [Run] = []
        var slowRuns: [Run] = []
        for _ in 0..<200 {
            ticks = try await jobHistory(daemon, "tick")
            slowRuns = try await jobHistory(daemon, "slow")
            if ticks.filter({ $0.state == .completed }).count >= 2 && slowRuns.contains(where: { $0.reason?.hasPrefix("skipped") == true })
            {
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try await daemon.run(["job", "stop", "tick"]).status == 0)
        #expect(try await daemon.run(["job", "stop", "slow"]).status == 0)
        #expect(ticks.filter { $0.state == .completed }.count >= 2, "\(ticks.map { "\($0.id) \($0.state)" })")
        #expect(ticks.allSatisfy { $0.trigger == .schedule && $0.triggerDetail == "schedule \(every2s)" })
        let skipped = slowRuns.filter { $0.state == .stopped && $0.reason?.hasPrefix("skipped") == true }
        #expect(!skipped.isEmpty, "\(slowRuns.map { "\($0.id) \($0.state) \($0.reason ?? "")" })")
        #expect(skipped.allSatisfy { $0.trigger == .schedule && $0.reason!.contains("overlap: skip") })
        let table = try await daemon.run(["job", "history", "slow"])
        #expect(table.stdout.contains("Stopped") && table.stdout.contains("skipped: run "))
    }

    @Test("a recurrence from @FILE: schedule in words and next runs; job stop pauses it, job start resumes it")
    func recurrenceAndPause() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        defer { daemon.stop() }
        var zip = ZipWriter()
        zip.file("run.sh", "#!/bin/sh\necho hi\n")
        let recurrence = try temporaryFolder() + "/weekly.json"
        try #"{"frequency": "Week", "timeZone": "Europe/London", "schedule": {"weekDays": ["Monday"], "hours": [9], "minutes": [30]}}"#
            .write(toFile: recurrence, atomically: true, encoding: .utf8)
        let deployed = try await daemon.run(["job", "deploy", "weekly", try write(zip), "--triggered", "--recurrence", "@" + recurrence])
        #expect(deployed.status == 0, "\(deployed.stderr)")
        let view = try await jobView(daemon, "weekly")
        #expect(view.kind == "scheduled" && view.timeZone == "Europe/London")
        #expect(view.nextRuns.count == 5)
        #expect(Swift.zip(view.nextRuns, view.nextRuns.dropFirst()).allSatisfy { $1.timeIntervalSince($0) >= 6 * 86_400 })
        #expect(deployed.stdout.contains("Monday"), "\(deployed.stdout)")
        #expect(deployed.stdout.contains("(recurrence, time zone Europe/London)"))
        #expect(deployed.stdout.contains(":30:00+0") || deployed.stdout.contains(":30:00Z"), "\(deployed.stdout)")

        let paused = try await daemon.run(["job", "stop", "weekly"])
        #expect(paused.status == 0 && paused.stdout.contains("Paused the schedule of 'weekly'"))
        let stopped = try await jobView(daemon, "weekly")
        #expect(stopped.status == "Stopped" && !stopped.enabled && stopped.nextRuns.isEmpty)
        #expect(try await daemon.run(["job", "show", "weekly"]).stdout.contains("none (paused)"))
        let resumed = try await daemon.run(["job", "start", "weekly"])
        #expect(resumed.status == 0 && resumed.stdout.contains("Resumed the schedule of 'weekly'; next run at "))
        #expect(try await jobView(daemon, "weekly").nextRuns.count == 5)
        let list = try await daemon.run(["job", "list"])
        #expect(list.stdout.contains("weekly") && list.stdout.contains("scheduled") && list.stdout.contains("Idle"))
    }

    @Test("every refused upload gets a clear error, writes nothing outside the data dir and leaves the previous version working")
    func rejectedUploads() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        defer { daemon.stop() }
        var good = ZipWriter()
        good.file("run.sh", "#!/bin/sh\necho version one\n")
        #expect(try await daemon.run(["job", "deploy", "keep", try write(good), "--triggered"]).status == 0)

        let outside = "errand-e2e-escape-\(UUID().uuidString)"
        var dotDot = ZipWriter()
        dotDot.file("run.sh", "#!/bin/sh\necho bad\n")
        dotDot.file("../\(outside)", "x")
        var absolute = ZipWriter()
        absolute.file("run.sh", "#!/bin/sh\necho bad\n")
        absolute.file("/tmp/\(outside)", "x")
        var link = ZipWriter()
        link.file("run.sh", "#!/bin/sh\ncat escape\n")
        link.link("escape", to: "../../../../../../etc/passwd")
        var device = ZipWriter()
        device.file("run.sh", "#!/bin/sh\necho bad\n")
        device.device("dev")
        var nothingToRun = ZipWriter()
        nothingToRun.file("README.txt", "no script here\n")
        var interpreter = ZipWriter()
        interpreter.file("run.sh", "#!/usr/bin/env nonexistent-interp\necho bad\n")
        let notZip = try temporaryFolder() + "/package.zip"
        try "this is not a zip\n".write(toFile: notZip, atomically: true, encoding: .utf8)
        let badSettings = try temporaryFolder() + "/settings.job"
        try #"{"overlap": "sometimes", "history_size": 0}"#.write(toFile: badSettings, atomically: true, encoding: .utf8)

        let cases: [(String, [String], String)] = [
            ("..", [try write(dotDot)], "unsafe_path"),
            ("absolute path", [try write(absolute)], "unsafe_path"),
            ("escaping link", [try write(link)], "symlink_escape"),
            ("device", [try write(device)], "special_file"),
            ("not a zip", [notZip], "corrupt_archive"),
            ("no entry point", [try write(nothingToRun)], "no_entry_point"),
            ("missing interpreter", [try write(interpreter)], "nonexistent-interp"),
            ("bad settings", [try write(good), "--settings", badSettings], "overlap"),
        ]
        for (what, arguments, message) in cases {
            let refused = try await daemon.run(["job", "deploy", "keep"] + arguments + ["--triggered"])
            #expect(refused.status != 0, "\(what) was accepted")
            #expect(refused.stderr.hasPrefix("errand: ") && refused.stderr.contains(message), "\(what): \(refused.stderr)")
            let still = try await daemon.run(["job", "trigger", "keep", "--wait"])
            #expect(still.status == 0 && still.stdout == "version one\n", "after \(what): \(still.stdout) \(still.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/\(outside)"))
        let parent = URL(fileURLWithPath: daemon.dataDirectory).deletingLastPathComponent().path
        #expect(!FileManager.default.fileExists(atPath: parent + "/\(outside)"))
        #expect(try await jobView(daemon, "keep").settings.isEmpty)
        #expect(try await jobHistory(daemon, "keep").count == cases.count)
    }

    @Test("the history never exceeds history_size; pruned runs and their output are gone")
    func historySize() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        defer { daemon.stop() }
        var zip = ZipWriter()
        zip.file("run.sh", "#!/bin/sh\necho \"run $ERRAND_RUN_ID\"\n")
        let settings = try temporaryFolder() + "/settings.job"
        try #"{"history_size": "3"}"#.write(toFile: settings, atomically: true, encoding: .utf8)
        #expect(try await daemon.run(["job", "deploy", "few", try write(zip), "--triggered", "--settings", settings]).status == 0)
        var ids: [Int64] = []
        for _ in 0..<5 {
            let outcome = try await daemon.run(["job", "trigger", "few", "--json"])
            let run = try JSONCoding.decoder().decode(Run.self, from: Data(outcome.stdout.utf8))
            ids.append(run.id)
            #expect(try await jobHistory(daemon, "few").count <= 3)
            #expect(try await daemon.run(["wait", String(run.id), "--timeout", "20"]).status == 0)
        }
        let history = try await jobHistory(daemon, "few")
        #expect(history.map(\.id) == Array(ids.suffix(3).reversed()))
        #expect(try await jobView(daemon, "few").historySize == 3)
        #expect(try await jobHistory(daemon, "few", limit: 2).map(\.id) == Array(ids.suffix(2).reversed()))
        let pruned = try await daemon.run(["logs", String(ids[0])])
        #expect(pruned.status == 1)
        #expect(pruned.stderr.contains("no run with id \(ids[0])"), "\(pruned.stderr)")
        #expect(try await daemon.run(["logs", String(ids[4])]).stdout == "run \(ids[4])\n")
    }

    @Test("list, show, settings, start/stop on the wrong kind, remove with and without --force, unknown jobs")
    func otherVerbs() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        defer { daemon.stop() }
        var zip = ZipWriter()
        zip.file("run.sh", "#!/bin/sh\nsleep \"${1:-0}\"\n")
        let settings = try temporaryFolder() + "/settings.job"
        try #"{"timeout": "5m", "colour": "blue"}"#.write(toFile: settings, atomically: true, encoding: .utf8)
        let deployed = try await daemon.run(["job", "deploy", "napper", try write(zip), "--triggered", "--settings", settings])
        #expect(deployed.status == 0)
        #expect(deployed.stdout.contains("warning: colour: unknown key"), "\(deployed.stdout)")

        let list = try await daemon.run(["job", "list"])
        let lines = list.stdout.split(separator: "\n")
        #expect(
            lines[0].split(separator: " ", omittingEmptySubsequences: true) == ["Name", "Kind", "Status", "Schedule", "NextRun", "LastRun"])
        #expect(lines.count == 3 && lines[2].hasPrefix("napper") && lines[2].contains("triggered") && lines[2].contains("Idle"))
        #expect(
            try JSONCoding.decoder().decode([JobView].self, from: Data(try await daemon.run(["job", "list", "--json"]).stdout.utf8)).count
                == 1)

        let shown = try await daemon.run(["job", "show", "napper"])
        #expect(shown.stdout.contains("Status:") && shown.stdout.contains("Idle") && shown.stdout.contains(/Latest run: +none yet/))
        #expect(shown.stdout.contains("warning: colour: unknown key"))

        let current = try await daemon.run(["job", "settings", "napper"])
        let object = try JSONSerialization.jsonObject(with: Data(current.stdout.utf8)) as? [String: Any]
        #expect(object?["timeout"] as? String == "5m" && object?["colour"] as? String == "blue")
        try #"{"history_size": 7}"#.write(toFile: settings, atomically: true, encoding: .utf8)
        #expect(try await daemon.run(["job", "settings", "napper", "--set", settings]).status == 0)
        #expect(try await jobView(daemon, "napper").historySize == 7)
        try #"{"history_size": -1}"#.write(toFile: settings, atomically: true, encoding: .utf8)
        let badSet = try await daemon.run(["job", "settings", "napper", "--set", settings])
        #expect(badSet.status == 1 && badSet.stderr.contains("history_size"))
        #expect(try await jobView(daemon, "napper").historySize == 7)

        let wrongKind = try await daemon.run(["job", "start", "napper"])
        #expect(wrongKind.status == 1 && wrongKind.stderr.contains("triggered job"))

        let run = try JSONCoding.decoder().decode(
            Run.self, from: Data(try await daemon.run(["job", "trigger", "napper", "--json", "--", "30"]).stdout.utf8))
        let busy = try await daemon.run(["job", "trigger", "napper"])
        #expect(busy.status == 1 && busy.stderr.contains("already running (run \(run.id))"), "\(busy.stderr)")
        let refused = try await daemon.run(["job", "remove", "napper"])
        #expect(refused.status == 1 && refused.stderr.contains("--force"))
        #expect(try await daemon.run(["job", "remove", "napper", "--force"]).status == 0)
        #expect(try await daemon.run(["get", String(run.id)]).status == 1)

        for verb in [["show"], ["trigger"], ["history"], ["settings"], ["remove"]] {
            let missing = try await daemon.run(["job"] + verb + ["napper"])
            #expect(missing.status == 1 && missing.stderr.contains("no job named 'napper'"), "\(verb): \(missing.stderr)")
        }
        let badName = try await daemon.run(["job", "show", "../runs"])
        #expect(badName.status == 1 && badName.stderr.contains("invalid job name"))
        let noKind = try await daemon.run(["job", "deploy", "x", "/tmp"])
        #expect(noKind.status == 2 && noKind.stderr.contains("--triggered or --continuous"))
        let empty = try await daemon.run(["job", "list"])
        #expect(empty.status == 0 && empty.stdout.isEmpty && empty.stderr.contains("no jobs deployed"))
        #expect(try await daemon.run(["job", "--help"]).stdout.contains("errand job deploy"))
    }

    // MARK: - Helpers

    func jobView(_ daemon: Daemon, _ name: String) async throws -> JobView {
        let outcome = try await daemon.run(["job", "show", name, "--json"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        return try JSONCoding.decoder().decode(JobView.self, from: Data(outcome.stdout.utf8))
    }

    /// Newest first, as the daemon answers.
    func jobHistory(_ daemon: Daemon, _ name: String, limit: Int? = nil) async throws -> [Run] {
        let outcome = try await daemon.run(["job", "history", name, "--json"] + (limit.map { ["--limit", String($0)] } ?? []))
        #expect(outcome.status == 0, "\(outcome.stderr)")
        return try JSONCoding.decoder().decode([Run].self, from: Data(outcome.stdout.utf8))
    }

    /// Writes the zip to a new temporary file and returns its path.
    func write(_ zip: ZipWriter) throws -> String {
        let path = try temporaryFolder() + "/package.zip"
        try zip.write(to: URL(fileURLWithPath: path))
        return path
    }

    func temporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("errand-e2e-job-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
