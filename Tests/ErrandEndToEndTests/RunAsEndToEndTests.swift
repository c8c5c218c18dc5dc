import ErrandCore
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `errand serve --run-as` and a job's `run_as`, on a real daemon: who runs, what they can reach. Switching
/// users needs a root daemon (CI runs as root) and the system's `nobody` account.
@Suite("Runs as another user, end to end", .timeLimit(.minutes(3)))
struct RunAsEndToEndTests {
    static let isRoot = geteuid() == 0

    /// Starts `command` and returns what it printed once it finished, and its state.
    func runToEnd(_ daemon: Daemon, _ command: [String]) async throws -> (String, Run) {
        let id = try await daemon.start(command)
        let received = try await daemon.run(["receive", "--wait", String(id)])
        return (received.stdout + received.stderr, try await daemon.get(id))
    }

    func mode(_ path: String) -> mode_t {
        var status = stat()
        return stat(path, &status) == 0 ? status.st_mode & 0o777 : 0
    }

    @Test("--run-as: every run is the user's and cannot read the daemon's database", .enabled(if: isRoot))
    func everyRunAsAnotherUser() async throws {
        let daemon = try Daemon()
        daemon.serveArguments = ["--run-as", "nobody"]
        try await daemon.start()
        defer { daemon.stop() }
        let (who, run) = try await runToEnd(daemon, ["id", "-un"])
        #expect(who == "nobody\n")
        #expect(run.runAs == "nobody")
        let database = daemon.dataDirectory + "/errand.sqlite"
        let (complaint, refused) = try await runToEnd(daemon, ["cat", database])
        #expect(refused.state == .failed)
        #expect(complaint.contains("Permission denied"), "\(complaint)")
        #expect(mode(daemon.dataDirectory) == 0o711)
        #expect(mode(database) == 0o600)
    }

    @Test("a job's run_as: allowed users only; its data folder and in-place copy are the user's", .enabled(if: isRoot))
    func jobRunAs() async throws {
        let daemon = try Daemon()
        daemon.serveArguments = ["--allow-run-as", "nobody"]
        try await daemon.start()
        defer { daemon.stop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("errand-runas-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try """
        #!/bin/sh
        id -un
        n=$(cat "$ERRAND_DATA_PATH/count" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "$ERRAND_DATA_PATH/count"; echo $n
        echo x >> here.txt && wc -l < here.txt
        """.write(toFile: folder + "/run.sh", atomically: true, encoding: .utf8)
        try #"{"run_as": "nobody", "is_in_place": true}"#.write(toFile: folder + "/settings.job", atomically: true, encoding: .utf8)
        let deployed = try await daemon.run(["job", "deploy", "mine", folder, "--triggered"])
        #expect(deployed.status == 0, "\(deployed.stderr)")
        let first = try await daemon.run(["job", "trigger", "mine", "--wait"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == "nobody\n1\n1\n")
        // The data folder is the user's; in place, the working folder is kept across runs, so the file grows.
        #expect(try await daemon.run(["job", "trigger", "mine", "--wait"]).stdout == "nobody\n2\n2\n")
        // Ad-hoc runs stay the daemon's own (no --run-as).
        #expect(try await runToEnd(daemon, ["id", "-un"]).0 == "root\n")
        #expect(mode(daemon.dataDirectory + "/packages") == 0o700)

        try #"{"run_as": "daemon"}"#.write(toFile: folder + "/settings.job", atomically: true, encoding: .utf8)
        let refused = try await daemon.run(["job", "deploy", "mine", folder, "--triggered"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("run_as 'daemon' is not allowed"), "\(refused.stderr)")
        // The previous version stays.
        #expect(try await daemon.run(["job", "trigger", "mine", "--wait"]).stdout == "nobody\n3\n3\n")
    }

    @Test("a user that does not exist stops errand serve with the name")
    func unknownUserStopsServe() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("errand-runas-\(UUID().uuidString)").path
        let outcome = try await errand([
            "serve", "--listen", "127.0.0.1:\(try Daemon.freePort())", "--data-dir", data, "--run-as", "no-such-user-errand",
        ])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("no user 'no-such-user-errand'"), "\(outcome.stderr)")
        let badName = try await errand(["serve", "--data-dir", data, "--run-as", "-rf"])
        #expect(badName.status != 0)
    }
}
