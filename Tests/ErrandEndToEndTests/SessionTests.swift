import ErrandCore
import Foundation
import Testing

/// Sessions end to end: the real binary, a real daemon; every `errand` call is a separate client
/// process, as another terminal would be.
@Suite("errand sessions end to end", .timeLimit(.minutes(3)))
struct SessionEndToEndTests {
    func sessions(_ daemon: Daemon) async throws -> [SessionView] {
        let outcome = try await daemon.run(["session", "list", "--json"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        return try JSONCoding.decoder().decode([SessionView].self, from: Data(outcome.stdout.utf8))
    }

    func runs(_ daemon: Daemon, session: String) async throws -> [Run] {
        let outcome = try await daemon.run(["get", "--session", session, "--json"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        return try JSONCoding.decoder().decode([Run].self, from: Data(outcome.stdout.utf8))
    }

    @Test("two sessions receiving one run each get all of its output")
    func twoSessions() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        for name in ["alpha", "beta"] { #expect(try await daemon.run(["session", "new", name]).status == 0) }
        let id = try await daemon.start(["sh", "-c", "echo one; echo two >&2; echo three"], options: ["--session", "alpha"])
        _ = try await daemon.run(["wait", String(id)])
        for name in ["alpha", "beta"] {
            let received = try await daemon.run(["receive", "--session", name, String(id)])
            #expect(received.stdout == "one\nthree\n" && received.stderr == "two\n", "session \(name)")
        }
        #expect(try await daemon.run(["receive", "--session", "alpha", String(id)]).stdout.isEmpty)
        // The default reader was not touched by either session.
        #expect(try await daemon.run(["receive", String(id)]).stdout == "one\nthree\n")
        #expect(try await runs(daemon, session: "alpha").map(\.hasMoreData) == [false])
    }

    @Test("a session disconnected during a run reconnects from another client and receives everything")
    func disconnectAndReconnect() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        #expect(try await daemon.run(["session", "new", "work", "--json"]).status == 0)
        let env = ["ERRAND_SESSION": "work"]
        let gate = daemon.dataDirectory + "/go"
        let script = "echo before; while [ ! -e \(gate) ]; do sleep 0.05; done; echo during; echo after"
        let started = try await daemon.run(["start", "--json", "--", "sh", "-c", script], environment: env)
        let id = try JSONCoding.decoder().decode(Run.self, from: Data(started.stdout.utf8)).id
        var first = ""
        for _ in 0..<100 where first.isEmpty {
            first += try await daemon.run(["receive", String(id)], environment: env).stdout
            if first.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(first == "before\n")

        let disconnected = try await daemon.run(["session", "disconnect", "work", "--json"])
        let view = try JSONCoding.decoder().decode(SessionView.self, from: Data(disconnected.stdout.utf8))
        #expect(view.session.state == .disconnected && view.expiresAt != nil)
        // The run goes on while nobody is connected; its output is stored, not blocked.
        _ = FileManager.default.createFile(atPath: gate, contents: Data())
        #expect(try await daemon.run(["wait", String(id), "--timeout", "30"]).status == 0)
        #expect(try await sessions(daemon).first?.session.state == .disconnected)

        let connected = try await daemon.run(["session", "connect", "work", "--json"])
        #expect(connected.status == 0, "\(connected.stderr)")
        #expect(connected.stdout.contains("\"Connected\"") && connected.stdout.contains("\"waiting\""))
        #expect(try await sessions(daemon).first?.waiting == [id])
        let rest = try await daemon.run(["receive", String(id)], environment: env)
        #expect(rest.stdout == "during\nafter\n")
        #expect(try await sessions(daemon).first?.waiting == [])
    }

    @Test("a session's get lists only its runs; unknown sessions are errors")
    func jobList() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        #expect(try await daemon.run(["session", "new", "mine"]).status == 0)
        let mine = try await daemon.start(["true"], options: ["--session", "mine"])
        let other = try await daemon.start(["true"])
        #expect(try await runs(daemon, session: "mine").map(\.id) == [mine])
        #expect(try await daemon.get(other).session == nil)
        #expect(try await daemon.get(mine).session == "mine")
        let table = try await daemon.run(["get"], environment: ["ERRAND_SESSION": "mine"])
        let rows = table.stdout.split(separator: "\n").dropFirst(2)  // header and rule
        #expect(rows.count == 1 && rows.first?.hasPrefix("\(mine) ") == true, "\(table.stdout)")

        let missing = try await daemon.run(["get", "--session", "nope"])
        #expect(missing.status == 1 && missing.stderr.contains("no session named 'nope'"))
        let duplicate = try await daemon.run(["session", "new", "mine"])
        #expect(duplicate.status == 1 && duplicate.stderr.contains("exists"))
        let badTimeout = try await daemon.run(["session", "new", "x", "--idle-timeout", "soon"])
        #expect(badTimeout.status == 1 && badTimeout.stderr.contains("duration"))
        #expect(try await daemon.run(["session", "remove", "mine"]).status == 0)
        #expect(try await sessions(daemon).isEmpty)
        #expect(try await daemon.get(mine).session == nil)
    }

    @Test("--stop-on-expire with a tiny idle timeout stops the session's runs; other sessions' runs go on")
    func stopOnExpire() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        #expect(try await daemon.run(["session", "new", "brief", "--idle-timeout", "1s", "--stop-on-expire"]).status == 0)
        #expect(try await daemon.run(["session", "new", "lasting", "--idle-timeout", "1s"]).status == 0)
        let doomed = try await daemon.start(["sleep", "60"], options: ["--session", "brief"])
        let survivor = try await daemon.start(["sleep", "60"], options: ["--session", "lasting"])
        for name in ["brief", "lasting"] { #expect(try await daemon.run(["session", "disconnect", name]).status == 0) }
        var state = RunState.running
        for _ in 0..<100 where !state.isFinished {
            try await Task.sleep(for: .milliseconds(100))
            state = try await daemon.get(doomed).state
        }
        #expect(state == .stopped)
        #expect(try await daemon.get(doomed).reason?.contains("expired") == true)
        // "lasting" was disconnected a moment after "brief": it may expire a sweep later.
        var left = try await sessions(daemon)
        for _ in 0..<50 where !left.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            left = try await sessions(daemon)
        }
        #expect(left.isEmpty)
        #expect(try await daemon.get(survivor).state == .running)
        _ = try await daemon.run(["stop", String(survivor), "--grace", "0"])
    }
}
