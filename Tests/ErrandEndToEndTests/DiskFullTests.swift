import ErrandCore
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A daemon whose data dir is on a real file system that fills up (a small tmpfs; mounting needs root, which
/// CI has): every run ends in a true state once space is back, and meanwhile the reasons are visible.
@Suite("A full disk, end to end", .timeLimit(.minutes(3)))
struct DiskFullTests {
    static let isRoot = geteuid() == 0

    /// Fills the file system under `path` with one file; returns how many bytes it took.
    static func fill(_ path: String) -> Int {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { return 0 }
        defer { close(descriptor) }
        let block = [UInt8](repeating: 0, count: 64 * 1024)
        var total = 0
        var size = block.count
        while size > 0 {
            let written = block.withUnsafeBytes { write(descriptor, $0.baseAddress, size) }
            if written > 0 { total += written } else { size /= 2 }  // the last blocks: smaller and smaller
        }
        fsync(descriptor)
        return total
    }

    /// Polls `condition` every 100 ms for up to `seconds`.
    static func eventually(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<Int(seconds * 10) {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    @Test(
        "disk full: output waits with its reason shown, new runs get 503, a stop completes; all is recorded once space is back",
        .enabled(if: isRoot))
    func fullDisk() async throws {
        let mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("errand-full-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try await runProgram("/bin/mount", ["-t", "tmpfs", "-o", "size=12m", "tmpfs", mountPoint])
        guard mounted.status == 0 else {
            // A container without CAP_SYS_ADMIN: nothing to test here (CI's machine can mount).
            print("DiskFullTests: cannot mount a tmpfs (\(mounted.stderr)); skipped")
            return
        }
        defer { _ = umount2(mountPoint, Int32(MNT_DETACH)) }
        try FileManager.default.createDirectory(atPath: mountPoint + "/data", withIntermediateDirectories: true)
        let daemon = try Daemon(dataDirectory: mountPoint + "/data")
        try await daemon.start()
        defer { daemon.stop() }
        let go = mountPoint + ".go"
        defer { unlink(go) }
        let sleeper = try await daemon.start(["sleep", "313"])
        let writer = try await daemon.start(["sh", "-c", "while [ ! -e \(go) ]; do sleep 0.05; done; seq 1 100000"])
        let filler = mountPoint + "/filler"
        #expect(Self.fill(filler) > 0)
        #expect(FileManager.default.createFile(atPath: go, contents: nil))

        // The writer's output cannot be stored: it waits, and says why.
        let waiting = try await Self.eventually(30) {
            try await daemon.get(writer).reason?.contains("output cannot be stored") == true
        }
        let shown = try await daemon.get(writer)
        #expect(waiting, "the writer's reason never said its output was waiting: \(shown)")
        let refused = try await daemon.run(["start", "--", "true"])
        #expect(refused.status != 0)
        #expect(refused.stderr.lowercased().contains("full") || refused.stderr.contains("unavailable"), "\(refused.stderr)")
        let health = try await runProgram(which("curl")!, ["-s", daemon.url + "/healthz"])
        #expect(health.stdout.contains("degraded"), "\(health.stdout)")
        // A stop while full: the process is signalled at once, its end waits for the store.
        _ = try await daemon.run(["stop", String(sleeper)])
        let signalled = try await Self.eventually(20) {
            let finished = try await daemon.get(sleeper).state.isFinished
            return processCount(commandLine: "sleep 313") == 0 || finished
        }
        #expect(signalled, "the stopped run's process still runs")

        // Space is back: everything is recorded as it happened.
        unlink(filler)
        let waited = try await daemon.run(["wait", "--timeout", "60", String(writer), String(sleeper)])
        #expect(waited.status == 0, "\(waited.stderr)")
        let (written, stopped) = (try await daemon.get(writer), try await daemon.get(sleeper))
        #expect(written.state == .completed, "\(written)")
        #expect(written.reason == nil)
        #expect(stopped.state == .stopped, "\(stopped)")
        let output = try await daemon.run(["receive", String(writer)])
        let lines = output.stdout.split(separator: "\n")
        #expect(lines.count == 100_000 && lines.last == "100000", "\(lines.count) lines, last \(lines.last ?? "")")
        #expect(
            try await Self.eventually(10) {
                let answer = try await runProgram(which("curl")!, ["-s", daemon.url + "/healthz"]).stdout
                return answer.contains("status") && !answer.contains("degraded")
            })
        let id = try await daemon.start(["true"])
        #expect(try await daemon.run(["wait", "--timeout", "30", String(id)]).status == 0)
    }
}
