import ErrandCore
import Foundation
import Testing

/// PowerShell's job cmdlets as their own tests use them: several targets in one command handled one by one,
/// selection by name and state, `wait --any`, a failed run's reason on receive, fan-out children. Real daemon.
@Suite("Verbs and their targets, end to end", .timeLimit(.minutes(3)))
struct VerbTargetsTests {
    func runs(_ outcome: Outcome) throws -> [Run] {
        try JSONCoding.decoder().decode([Run].self, from: Data(outcome.stdout.utf8))
    }

    @Test("stop 5 999 7: the bad id is an error of its own; the others are still stopped; exit 1 at the end")
    func severalTargetsOneByOne() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        defer { daemon.stop() }
        let a = try await daemon.start(["sleep", "30"])
        let b = try await daemon.start(["sleep", "30"])
        let stopped = try await daemon.run(["stop", "--json", "--grace", "1", String(a), "999999", String(b)])
        #expect(stopped.status == 1)
        #expect(stopped.stderr.contains("no run with id 999999"), "\(stopped.stderr)")
        #expect(try runs(stopped).map(\.id) == [a, b])
        #expect(try await daemon.get(a).state == .stopped)
        #expect(try await daemon.get(b).state == .stopped)

        let removed = try await daemon.run(["remove", "nosuchname", String(a), String(b)])
        #expect(removed.status == 1)
        #expect(removed.stderr.contains("no run named 'nosuchname'"), "\(removed.stderr)")
        #expect(try await daemon.run(["get", String(a)]).status == 1, "run \(a) was not removed")
        #expect(try await daemon.run(["get", String(b)]).status == 1, "run \(b) was not removed")

        let c = try await daemon.start(["true"])
        let waited = try await daemon.run(["wait", "--timeout", "20", "999998", String(c)])
        #expect(waited.status == 1 && waited.stderr.contains("no run with id 999998"), "\(waited.stderr)")
        #expect(waited.stdout.contains("Completed"), "the existing run was not waited for: \(waited.stdout)")
        let received = try await daemon.run(["receive", "999997", String(c)])
        #expect(received.status == 1 && received.stderr.contains("no run with id 999997"))
    }

    @Test("--name and --state select runs for stop, wait and remove; a wildcard that matches nothing is no error")
    func selectionByNameAndState() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        defer { daemon.stop() }
        let crawlers = [
            try await daemon.start(["sleep", "31"], options: ["--name", "crawl-1"]),
            try await daemon.start(["sleep", "31"], options: ["--name", "crawl-2"]),
        ]
        let other = try await daemon.start(["sleep", "31"], options: ["--name", "keeper"])
        let stopped = try await daemon.run(["stop", "--json", "--grace", "1", "--name", "crawl-*", "--state", "Running"])
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(try runs(stopped).map(\.id) == crawlers)
        #expect(try await daemon.get(other).state == .running)
        #expect(try await daemon.run(["wait", "--name", "crawl-*", "--timeout", "20"]).status == 0)

        let none = try await daemon.run(["stop", "--name", "nothing-*"])
        #expect(none.status == 0 && none.stderr.isEmpty, "\(none.stderr)")
        #expect(try await daemon.run(["stop", "nothing"]).status == 1)

        let removed = try await daemon.run(["remove", "--json", "--state", "Stopped"])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(removed.stdout.contains("\(crawlers[0])") && removed.stdout.contains("\(crawlers[1])"))
        #expect(try await daemon.run(["get", "crawl-*"]).stdout.isEmpty)
        // get: a wildcard that matches nothing prints nothing and succeeds; an exact name is an error.
        #expect(try await daemon.run(["get", "crawl-*"]).status == 0)
        #expect(try await daemon.run(["get", "crawl-1"]).status == 1)

        // get --command finds runs by their command line.
        let found = try await daemon.run(["get", "--json", "--command", "sleep 3?"])
        #expect(try runs(found).map(\.id) == [other], "\(found.stdout)")
        _ = try await daemon.run(["stop", "--grace", "1", String(other)])
    }

    @Test("wait --any prints only the run that finished")
    func waitAnyPrintsTheFinished() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        defer { daemon.stop() }
        let slow = try await daemon.start(["sleep", "30"])
        let fast = try await daemon.start(["true"])
        let waited = try await daemon.run(["wait", "--json", "--any", "--timeout", "20", String(slow), String(fast)])
        #expect(waited.status == 0)
        #expect(try runs(waited).map(\.id) == [fast])
        _ = try await daemon.run(["stop", "--grace", "1", String(slow)])
    }

    @Test("receive on a Failed run writes its reason on stderr, once")
    func failureReasonOnReceive() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        defer { daemon.stop() }
        let id = try await daemon.start(["sh", "-c", "echo working; sleep 30"], options: ["--timeout", "1"])
        let first = try await daemon.run(["receive", "--wait", String(id)])
        #expect(first.stdout == "working\n")
        #expect(first.stderr.contains("timed out after 1 s"), "\(first.stderr)")
        #expect(try await daemon.get(id).state == .failed)
        let second = try await daemon.run(["receive", String(id)])
        #expect(second.stdout.isEmpty && second.stderr.isEmpty, "\(second.stderr)")
        // A run stopped on purpose leaves no error line.
        let stoppedID = try await daemon.start(["sleep", "30"])
        _ = try await daemon.run(["stop", "--grace", "1", String(stoppedID)])
        #expect(try await daemon.run(["receive", String(stoppedID)]).stderr.isEmpty)
    }

    @Test("get ID --include-children lists a fan-out and its children; a child cannot be removed alone")
    func fanOutChildren() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        defer { daemon.stop() }
        let dead = try Daemon.freePort()
        let invoked = try await daemon.run(["invoke", "--json", "--on", "http://127.0.0.1:\(dead)", "--", "true"])
        #expect(invoked.status == 0, "\(invoked.stderr)")
        let parent = try JSONCoding.decoder().decode(Run.self, from: Data(invoked.stdout.utf8))
        #expect(try await daemon.run(["wait", "--timeout", "30", String(parent.id)]).status == 0)
        let listed = try runs(try await daemon.run(["get", "--json", String(parent.id), "--include-children"]))
        #expect(listed.count == 2 && listed[0].id == parent.id && listed[1].parentId == parent.id, "\(listed)")
        let child = listed[1].id
        let refused = try await daemon.run(["remove", String(child)])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("remove the parent instead (errand remove \(parent.id))"), "\(refused.stderr)")
        #expect(try await daemon.run(["remove", String(parent.id)]).status == 0)
        #expect(try await daemon.run(["get", String(child)]).status == 1, "the child went with its parent")
    }
}
