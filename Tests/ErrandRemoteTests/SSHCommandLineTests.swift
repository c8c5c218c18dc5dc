import ErrandCore
import Foundation
import Testing

@testable import ErrandRemote

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
                == #"printf 'errand-ssh-pgid %s\n' "$$" >&2; ERRAND_JOB_NAME='a'\''b'; export ERRAND_JOB_NAME; ERRAND_RUN_ID='12'; export ERRAND_RUN_ID; exec 'sh' '-c' 'echo '\''it'\'''\''s'\''; echo $HOME'"#
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
        #expect(marker == "errand-ssh-pgid \(shell.processIdentifier)\n")
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
        #expect(SSHCommandLine.killCommand(group: 77, signal: "TERM") == "kill -TERM -- -77 2>/dev/null || kill -TERM 77 2>/dev/null; true")
    }
}
