import ErrandCore
import Foundation
import Testing

@Suite("Fan-out rules")
struct FanOutRuleTests {
    @Test(
        "the parent's final state follows PowerShell's PSRemotingJob rules",
        arguments: [
            ([RunState.completed, .completed, .completed], false, RunState.completed),
            ([.completed, .failed, .completed], false, .failed),
            ([.completed, .failed, .stopped], true, .failed),  // a failure outweighs the stop
            ([.stopped, .stopped], true, .stopped),
            ([.stopped, .completed], false, .completed),  // a child stopped on its own: the parent Completed
            ([], true, .stopped),  // stopped before any child was created
            ([.completed, .running], false, .failed),  // torn down with a child still going
        ])
    func aggregation(children: [RunState], stopRequested: Bool, expected: RunState) {
        #expect(FanOutState.final(children: children, stopRequested: stopRequested) == expected)
    }

    @Test(
        "an unfinished parent is Disconnected while every unfinished child is (PowerShell's PSRemotingJob)",
        arguments: [
            ([RunState.disconnected], RunState.disconnected),
            ([.disconnected, .completed, .failed], .disconnected),
            ([.disconnected, .running], .running),
            ([.disconnected, .notStarted], .running),  // a child still queued will connect
            ([.running, .completed], .running),
            ([], .running),
        ])
    func connection(children: [RunState], expected: RunState) {
        #expect(FanOutState.connection(children: children) == expected)
    }

    @Test("ssh addresses parse, and nothing in them can pass for an option of ssh")
    func sshAddresses() throws {
        let full = try SSHDestination(url: "ssh://deploy@web1.example:2222")
        #expect(full.user == "deploy" && full.host == "web1.example" && full.port == 2222)
        #expect(full.description == "ssh://deploy@web1.example:2222")
        let bare = try SSHDestination(url: "SSH://10.0.0.5/")
        #expect(bare.user == nil && bare.host == "10.0.0.5" && bare.port == nil)
        let v6 = try SSHDestination(url: "ssh://root@[::1]:22")
        #expect(v6.host == "::1" && v6.port == 22 && v6.description == "ssh://root@[::1]:22")
        for bad in [
            "ssh://-oProxyCommand=touch%20x", "ssh://user@", "ssh://-l@host", "ssh://host:0", "ssh://host:70000",
            "ssh://host:port", "ssh://a b", "ssh://ho;st", "http://host", "ssh://[::1",
        ] {
            #expect(throws: ErrandError.self, "\(bad)") { try SSHDestination(url: bad) }
        }
    }

    @Test("an invocation is checked before anything is created")
    func validation() throws {
        let hosts = [FanOutHost(name: "a", url: "http://127.0.0.1:7420"), FanOutHost(name: "s", url: "ssh://u@h")]
        let valid = try InvokeRequest(argv: ["uptime"], on: hosts).validated()
        #expect(
            try valid.on.map { try $0.address() } == [.daemon(url: "http://127.0.0.1:7420"), .ssh(try SSHDestination(url: "ssh://u@h"))])
        let cases: [(InvokeRequest, String)] = [
            (InvokeRequest(argv: [], on: hosts), "the command is empty"),
            (InvokeRequest(argv: ["x"], on: []), "say where to run it"),
            (InvokeRequest(argv: ["x"], on: hosts + [hosts[0]]), "named twice"),
            (InvokeRequest(argv: ["x"], on: hosts, throttleLimit: 0), "throttleLimit must be a whole number between 1 and 1000000"),
            (InvokeRequest(argv: ["x"], on: hosts, disconnectedTimeout: -1), "disconnectedTimeout must be a finite number of seconds"),
            (InvokeRequest(argv: ["x"], on: hosts, disconnectedTimeout: .nan), "between 0 and 31536000 (got nan)"),
            (InvokeRequest(argv: ["x"], on: hosts, disconnectedTimeout: .infinity), "disconnectedTimeout must be"),
            (InvokeRequest(argv: ["x"], on: hosts, disconnectedTimeout: 31_536_001), "disconnectedTimeout must be"),
            (InvokeRequest(argv: ["x"], on: hosts, name: "1"), "run name"),
            (InvokeRequest(argv: ["x"], on: [FanOutHost(name: "f", url: "ftp://h")]), "not an http(s):// daemon URL"),
            (InvokeRequest(argv: ["x"], on: [FanOutHost(name: "a,b", url: "http://h")]), "invalid host label"),
            (InvokeRequest(argv: ["x"], on: [FanOutHost(name: "t", url: "http://h", token: "a\r\nX-Evil: 1")]), "printable ASCII"),
        ]
        for (request, message) in cases {
            #expect {
                try request.validated()
            } throws: { error in
                (error as? ErrandError)?.message.contains(message) == true && (error as? ErrandError)?.code == .badRequest
            }
        }
    }

    @Test("plain logs label each line of a fan-out with its host, and never glue two hosts' lines")
    func plainLog() {
        let t = Date(timeIntervalSince1970: 0)
        var log = PlainLog()
        func render(_ text: String, _ host: String?) -> String {
            String(decoding: log.render(OutputChunk(seq: 1, time: t, stream: .output, bytes: Array(text.utf8), host: host)), as: UTF8.self)
        }
        #expect(render("one\ntwo\n", "a") == "[a] one\n[a] two\n")
        #expect(render("half", "a") == "[a] half")
        #expect(render("-done\n", "a") == "-done\n")
        #expect(render("tail", "a") == "[a] tail")
        #expect(render("other\n", "b") == "\n[b] other\n")
        #expect(render("plain\n", nil) == "plain\n")
        var stamped = PlainLog(timestamps: true)
        let line = stamped.render(OutputChunk(seq: 1, time: t, stream: .output, bytes: Array("x\n".utf8), host: "h"))
        #expect(String(decoding: line, as: UTF8.self) == "1970-01-01T00:00:00.000Z [h] x\n")
    }
}
