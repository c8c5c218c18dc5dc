import ErrandCore
import ErrandRunner
import Foundation
import Synchronization
import Testing

@testable import ErrandRemote

#if canImport(Glibc)
    import Glibc
#endif

@Suite("SSH command lines")
struct SSHCommandLineTests {
    @Test("arguments never let the destination read as an option, and share connections when asked")
    func arguments() throws {
        let line = SSHCommandLine(configFile: "/etc/errand/ssh_config", controlDirectory: "/var/lib/errand/ssh")
        let destination = try SSHDestination(url: "ssh://deploy@web1:2222")
        let arguments = line.arguments(to: destination, running: "uptime")
        #expect(arguments.starts(with: ["-F", "/etc/errand/ssh_config", "-T", "-o", "BatchMode=yes"]))
        #expect(arguments.contains("ControlPath=/var/lib/errand/ssh/%C"))
        #expect(arguments.suffix(7) == ["-p", "2222", "-l", "deploy", "--", "web1", "uptime"])
        let plain = SSHCommandLine().arguments(to: try SSHDestination(url: "ssh://web2"), running: "true")
        #expect(plain == ["-T", "-o", "BatchMode=yes", "--", "web2", "true"])
    }

    @Test("the remote command runs argv exactly as given, after the marker and the variables")
    func remoteCommandQuotes() throws {
        let command = SSHCommandLine.remoteCommand(
            argv: ["sh", "-c", "echo 'it''s'; echo $HOME"],
            environment: ["ERRAND_RUN_ID": "12", "BAD NAME": "x", "ERRAND_JOB_NAME": "a'b"])
        #expect(
            command
                == #"printf '\nerrand-ssh-pgid %s\n' "$$" >&2; ERRAND_JOB_NAME='a'\''b'; export ERRAND_JOB_NAME; ERRAND_RUN_ID='12'; export ERRAND_RUN_ID; exec 'sh' '-c' 'echo '\''it'\'''\''s'\''; echo $HOME'"#
        )
        // A real POSIX shell gives the program back its words unchanged.
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        let words = ["printf", "[%s]", "a b", "it's", "$HOME", "*", ""]
        shell.arguments = ["-c", SSHCommandLine.remoteCommand(argv: words, environment: [:])]
        let out = Pipe()
        let err = Pipe()
        shell.standardOutput = out
        shell.standardError = err
        try shell.run()
        shell.waitUntilExit()
        let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(printed == "[a b][it's][$HOME][*][]")
        let marker = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(marker == "\nerrand-ssh-pgid \(shell.processIdentifier)\n")
    }

    @Test("the marker line is taken out of stderr wherever the reads cut it; other lines pass")
    func markerFilter() {
        var filter = SSHMarkerFilter()
        #expect(filter.filter(.output, Array("out\n".utf8)) == Array("out\n".utf8))
        #expect(
            filter.filter(.error, Array("Warning: Permanently added 'x'\nerrand-ssh".utf8))
                == Array("Warning: Permanently added 'x'\n".utf8))
        #expect(filter.remoteGroup == nil)
        #expect(filter.filter(.error, Array("-pgid 4242\nerr 1\n".utf8)) == Array("err 1\n".utf8))
        #expect(filter.remoteGroup == 4242)
        #expect(filter.filter(.error, Array("errand-ssh-pgid 1\n".utf8)) == Array("errand-ssh-pgid 1\n".utf8))
        #expect(filter.lastDiagnostic == "Warning: Permanently added 'x'")
    }

    @Test("the empty line before the marker goes with it; other empty lines stay; a login script's unfinished line is closed")
    func emptyLines() {
        var split = SSHMarkerFilter()
        #expect(split.filter(.error, Array("\n".utf8)).isEmpty)  // held: it may be the marker's
        #expect(split.filter(.error, Array("errand-ssh-pgid 99\nafter\n".utf8)) == Array("after\n".utf8))
        var noisy = SSHMarkerFilter()
        #expect(noisy.filter(.error, Array("motd\n\n\nlogin noise".utf8)) == Array("motd\n\n".utf8))
        // The third line of the first read was a real empty line: it comes out once the next line shows it.
        #expect(noisy.filter(.error, Array("\nerrand-ssh-pgid 7\n".utf8)) == Array("\nlogin noise\n".utf8))
        #expect(noisy.remoteGroup == 7)
        var never = SSHMarkerFilter()
        #expect(never.filter(.error, Array("a\n\n".utf8)) == Array("a\n".utf8))
        #expect(never.remainder() == Array("\n".utf8))
    }

    @Test("a marker naming group 0 or 1 is not taken (kill -- -1 would reach every process of the user)")
    func dangerousGroups() {
        var filter = SSHMarkerFilter()
        #expect(filter.filter(.error, Array("errand-ssh-pgid 1\n".utf8)) == Array("errand-ssh-pgid 1\n".utf8))
        #expect(filter.remoteGroup == nil)
    }

    @Test("a dash login shell kills the whole remote group with the command sent")
    func killsGroupInDash() async throws {
        let shell = try #require(["/bin/dash", "/bin/sh"].first { FileManager.default.isExecutableFile(atPath: $0) })
        // A session of its own, as sshd gives each: a shell with a background sleeper and a foreground one.
        let group = Mutex<Int32>(0)
        let leader = Task {
            try await SubprocessLauncher().run(
                LaunchSpec(executablePath: shell, arguments: ["-c", "sleep 31 & sleep 31; wait"], environment: [:], workingDirectory: nil),
                started: { work in group.withLock { $0 = work.localGroup?.id ?? 0 } }, output: { _, _ in })
        }
        var id: Int32 = 0
        for _ in 0..<50 where id == 0 {
            try await Task.sleep(for: .milliseconds(20))
            id = group.withLock { $0 }
        }
        try await Task.sleep(for: .milliseconds(200))  // the sleepers exist
        let killer = Process()
        killer.executableURL = URL(fileURLWithPath: shell)
        killer.arguments = ["-c", SSHCommandLine.killCommand(group: id, signal: "TERM")]
        try killer.run()
        killer.waitUntilExit()
        #expect(try await leader.value == .signaled(SIGTERM))
        // Every process of the group is gone, the background sleeper too.
        var alive = true
        for _ in 0..<50 where alive {
            try await Task.sleep(for: .milliseconds(20))
            alive = processes(inGroup: id).contains { !$0.isZombie }
        }
        #expect(!alive)
    }

    /// The processes of a group, from /proc (state Z: exited, not yet reaped).
    func processes(inGroup group: Int32) -> [(pid: Int, isZombie: Bool)] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> (Int, Bool)? in
            guard let pid = Int(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 3, Int32(fields[3]) == group else { return nil }
            return (pid, fields[0] == "Z")
        }
    }

    @Test("ssh's own last words are kept as the reason when the command never started")
    func diagnostics() {
        var filter = SSHMarkerFilter()
        #expect(filter.filter(.error, Array("ssh: connect to host 127.0.0.1 port 1: Connection refused".utf8)).isEmpty)
        #expect(filter.remainder() == Array("ssh: connect to host 127.0.0.1 port 1: Connection refused".utf8))
        #expect(filter.lastDiagnostic == "ssh: connect to host 127.0.0.1 port 1: Connection refused")
        #expect(filter.remoteGroup == nil)
    }

    @Test("the kill command signals the group, else the process")
    func killCommand() {
        #expect(SSHCommandLine.killCommand(group: 77, signal: "TERM") == "kill -s TERM -- -77 2>/dev/null; true")
    }
}
