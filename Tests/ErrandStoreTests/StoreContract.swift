import ErrandCore
import ErrandStore
import Foundation
import Testing

/// The contract every `Store` engine must keep. Each check takes a fresh, empty store; the SQLite
/// suite runs them all, and a PostgreSQL suite will run the same list.
enum StoreContract {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000.250)

    static let checks: [(name: String, check: @Sendable (any Store) async throws -> Void)] = [
        ("ids increase and default names are Job<Id>", idsAndNames),
        ("a run round-trips every field", roundTrip),
        ("updates write only the given fields", partialUpdate),
        ("output is ordered and paged by sequence", outputPaging),
        ("receive consumes per reader and never twice", receiveConsumes),
        ("hasMoreData follows state and the reader's cursor", hasMoreData),
        ("queries filter by id, name glob, state, newest, before/after", queries),
        ("deleting a run deletes its output and cursors; ids are not reused", deletion),
        ("environment is kept apart from the run", environment),
        ("unknown runs are nil, not errors", unknownRuns),
        ("jobs are saved, replaced by name, listed and deleted", jobs),
        ("a schedule tick is claimed exactly once, with its run", ticks),
        ("tokens are created, found by prefix, listed, touched and revoked", tokens),
        ("token names and prefixes are unique", tokenConflicts),
        ("ticks are remembered per job and old ones pruned; the latest run of each job in one call", tickHistory),
        ("trimming output deletes the oldest chunks beyond the size kept", trimming),
        ("sessions are created once per name, updated, listed and deleted with their cursors", sessions),
        ("a session's runs are its job list; hasMoreData follows the session's cursor", sessionRuns),
        ("a fan-out's children are listed by parent and left out when asked; output keeps its host", fanOut),
        ("a finished state is final: a late Stopping or Running does not undo it", finalStates),
    ]

    static func newRun(_ argv: [String] = ["echo", "hi"], name: String? = nil, group: String = "default") -> NewRun {
        NewRun(
            name: name, argv: argv, workingDirectory: "/tmp", environment: ["A": "1"], throttleGroup: group,
            timeout: 5, instance: "test-host", createdAt: t0)
    }

    static func chunk(_ seq: Int64, _ text: String, _ stream: OutputChannel = .output) -> OutputChunk {
        OutputChunk(seq: seq, time: t0.addingTimeInterval(Double(seq)), stream: stream, bytes: Array(text.utf8))
    }

    static func idsAndNames(_ store: any Store) async throws {
        let a = try await store.createRun(newRun())
        let b = try await store.createRun(newRun(name: "backup"))
        let c = try await store.createRun(newRun())
        #expect(a.id < b.id && b.id < c.id)
        #expect(a.name == "Job\(a.id)")
        #expect(b.name == "backup")
        #expect(a.state == .notStarted)
        #expect(a.hasMoreData)
    }

    static func roundTrip(_ store: any Store) async throws {
        let created = try await store.createRun(newRun(["sh", "-c", "echo 'x y'"], name: "rt", group: "g1"))
        let read = try #require(try await store.run(id: created.id))
        #expect(read == created)
        #expect(read.argv == ["sh", "-c", "echo 'x y'"])
        #expect(read.workingDirectory == "/tmp")
        #expect(read.throttleGroup == "g1")
        #expect(read.timeout == 5)
        #expect(read.location == "test-host")
        #expect(abs(read.createdAt.timeIntervalSince(t0)) < 0.001)
    }

    static func partialUpdate(_ store: any Store) async throws {
        let run = try await store.createRun(newRun())
        let started = t0.addingTimeInterval(1)
        _ = try await store.updateRun(id: run.id, RunUpdate(state: .running, pid: 4242, startedAt: started))
        let ended = t0.addingTimeInterval(2)
        #expect(try await store.updateRun(id: run.id, RunUpdate(state: .failed, exitCode: 3, reason: "exited with code 3", endedAt: ended)))
        let updated = try #require(try await store.run(id: run.id))
        #expect(updated.state == .failed)
        #expect(updated.pid == 4242)
        #expect(updated.exitCode == 3)
        #expect(updated.signal == nil)
        #expect(updated.reason == "exited with code 3")
        #expect(abs(updated.startedAt!.timeIntervalSince(started)) < 0.001)
        #expect(abs(updated.endedAt!.timeIntervalSince(ended)) < 0.001)
        #expect(try await store.updateRun(id: 999_999, RunUpdate(state: .failed)) == false)
    }

    static func outputPaging(_ store: any Store) async throws {
        let run = try await store.createRun(newRun())
        try await store.appendOutput(runID: run.id, [chunk(1, "a\n"), chunk(2, "err\n", .error)])
        try await store.appendOutput(runID: run.id, [chunk(3, "b\n"), chunk(4, "\u{1}\u{2}")])
        let all = try await store.output(runID: run.id, after: 0, limit: 100)
        #expect(all.map(\.seq) == [1, 2, 3, 4])
        #expect(all[1].stream == .error)
        #expect(all[3].bytes == [1, 2])
        #expect(try await store.output(runID: run.id, after: 1, limit: 2).map(\.seq) == [2, 3])
        #expect(try await store.run(id: run.id)?.outputSeq == 4)
        // A duplicate sequence number is refused: one writer per run numbers its chunks once.
        await #expect(throws: (any Error).self) { try await store.appendOutput(runID: run.id, [chunk(4, "again")]) }
        #expect(try await store.output(runID: run.id, after: 3, limit: 10).map(\.bytes) == [[1, 2]])
    }

    static func receiveConsumes(_ store: any Store) async throws {
        let run = try await store.createRun(newRun())
        try await store.appendOutput(runID: run.id, [chunk(1, "one\n"), chunk(2, "two\n")])
        #expect(try await store.receive(runID: run.id, reader: "", limit: 1)?.map(\.seq) == [1])
        #expect(try await store.receive(runID: run.id, reader: "", limit: 10)?.map(\.seq) == [2])
        #expect(try await store.receive(runID: run.id, reader: "", limit: 10)?.isEmpty == true)
        #expect(try await store.cursor(runID: run.id, reader: "") == 2)
        // Another reader has its own cursor.
        #expect(try await store.receive(runID: run.id, reader: "alice", limit: 10)?.map(\.seq) == [1, 2])
        try await store.appendOutput(runID: run.id, [chunk(3, "three\n")])
        #expect(try await store.receive(runID: run.id, reader: "", limit: 10)?.map(\.seq) == [3])
        // Receiving never deletes: the whole output is still there.
        #expect(try await store.output(runID: run.id, after: 0, limit: 10).count == 3)
        #expect(try await store.receive(runID: 999_999, reader: "", limit: 10) == nil)
    }

    static func hasMoreData(_ store: any Store) async throws {
        let run = try await store.createRun(newRun())
        try await store.appendOutput(runID: run.id, [chunk(1, "x\n")])
        _ = try await store.updateRun(id: run.id, RunUpdate(state: .completed))
        #expect(try await store.run(id: run.id)?.hasMoreData == true)
        _ = try await store.receive(runID: run.id, reader: "", limit: 10)
        #expect(try await store.run(id: run.id)?.hasMoreData == false)
        #expect(try await store.run(id: run.id, reader: "bob")?.hasMoreData == true)
        let silent = try await store.createRun(newRun())
        #expect(try await store.run(id: silent.id)?.hasMoreData == true)
        _ = try await store.updateRun(id: silent.id, RunUpdate(state: .failed))
        #expect(try await store.run(id: silent.id)?.hasMoreData == false)
        #expect(try await store.runs(RunQuery(hasMoreData: true)).map(\.id) == [])
        #expect(try await store.runs(RunQuery(hasMoreData: false)).map(\.id) == [run.id, silent.id])
    }

    static func queries(_ store: any Store) async throws {
        var ids: [Int64] = []
        for name in ["alpha", "beta", "Alpine", "gamma_1", "gamma%2"] {
            ids.append(try await store.createRun(newRun(name: name)).id)
        }
        _ = try await store.updateRun(id: ids[1], RunUpdate(state: .running))
        #expect(try await store.runs(RunQuery()).map(\.id) == ids)
        #expect(try await store.runs(RunQuery(ids: [ids[3], ids[0]])).map(\.id) == [ids[0], ids[3]])
        #expect(try await store.runs(RunQuery(names: ["al*"])).map(\.name) == ["alpha", "Alpine"])
        #expect(try await store.runs(RunQuery(names: ["gamma_?"])).map(\.name) == ["gamma_1"])
        #expect(try await store.runs(RunQuery(names: ["gamma%?"])).map(\.name) == ["gamma%2"])
        #expect(try await store.runs(RunQuery(names: ["beta", "gamma*"])).count == 3)
        #expect(try await store.runs(RunQuery(states: [.running])).map(\.id) == [ids[1]])
        #expect(try await store.runs(RunQuery(newest: 2)).map(\.id) == [ids[3], ids[4]])
        #expect(try await store.runs(RunQuery(after: ids[2])).map(\.id) == [ids[3], ids[4]])
        #expect(try await store.runs(RunQuery(before: ids[1])).map(\.id) == [ids[0]])
        #expect(try await store.runs(RunQuery(limit: 2)).map(\.id) == [ids[0], ids[1]])
    }

    static func deletion(_ store: any Store) async throws {
        let run = try await store.createRun(newRun())
        try await store.appendOutput(runID: run.id, [chunk(1, "x")])
        _ = try await store.receive(runID: run.id, reader: "", limit: 10)
        #expect(try await store.deleteRun(id: run.id))
        #expect(try await store.run(id: run.id) == nil)
        #expect(try await store.output(runID: run.id, after: 0, limit: 10).isEmpty)
        #expect(try await store.cursor(runID: run.id, reader: "") == 0)
        #expect(try await store.deleteRun(id: run.id) == false)
        let next = try await store.createRun(newRun())
        #expect(next.id > run.id)
    }

    static func environment(_ store: any Store) async throws {
        let run = try await store.createRun(newRun())
        #expect(try await store.environment(runID: run.id) == ["A": "1"])
        #expect(try await store.environment(runID: 999_999) == nil)
    }

    static func unknownRuns(_ store: any Store) async throws {
        #expect(try await store.run(id: 424_242) == nil)
        #expect(try await store.runs(RunQuery(ids: [424_242])).isEmpty)
    }

    static func jobs(_ store: any Store) async throws {
        let first = JobRecord(name: "report", kind: "triggered", packageDigest: "aa", createdAt: t0, updatedAt: t0)
        try await store.saveJob(first)
        try await store.saveJob(JobRecord(name: "alpha", kind: "continuous", packageDigest: "bb", createdAt: t0, updatedAt: t0))
        let later = t0.addingTimeInterval(60)
        try await store.saveJob(
            JobRecord(
                name: "report", kind: "scheduled", packageDigest: "cc", settings: #"{"schedule":"0 * * * *"}"#,
                enabled: false, createdAt: later, updatedAt: later))
        let replaced = try #require(try await store.job(named: "report"))
        #expect(replaced.kind == "scheduled")
        #expect(replaced.packageDigest == "cc")
        #expect(replaced.settings == #"{"schedule":"0 * * * *"}"#)
        #expect(replaced.enabled == false)
        #expect(abs(replaced.createdAt.timeIntervalSince(t0)) < 0.001)
        #expect(abs(replaced.updatedAt.timeIntervalSince(later)) < 0.001)
        #expect(try await store.jobs().map(\.name) == ["alpha", "report"])
        #expect(try await store.deleteJob(named: "alpha"))
        #expect(try await store.deleteJob(named: "alpha") == false)
        #expect(try await store.job(named: "alpha") == nil)
    }

    static func ticks(_ store: any Store) async throws {
        var new = newRun(["report.sh"])
        new.job = "report"
        new.trigger = .schedule
        let due = t0.addingTimeInterval(3600)
        let run = try #require(try await store.claimTick(job: "report", due: due, run: new))
        #expect(run.job == "report")
        #expect(run.trigger == .schedule)
        #expect(try await store.claimTick(job: "report", due: due, run: new) == nil)
        var other = new
        other.job = "other"
        #expect(try await store.claimTick(job: "other", due: due, run: other) != nil)
        // Racing claimers of one tick: exactly one run is created.
        let next = due.addingTimeInterval(3600)
        let scheduled = new
        let winners = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { try await store.claimTick(job: "report", due: next, run: scheduled) == nil ? 0 : 1 }
            }
            return try await group.reduce(0, +)
        }
        #expect(winners == 1)
        #expect(try await store.runs(RunQuery(jobs: ["report"])).count == 2)
        #expect(try await store.runs(RunQuery(jobs: ["nothing"])).isEmpty)
    }

    static func token(_ name: String, role: TokenRole = .reader, prefix: String? = nil) -> TokenRecord {
        TokenRecord(name: name, role: role, prefix: prefix ?? "errand_\(name)", hash: String(repeating: "ab", count: 32), createdAt: t0)
    }

    static func tokens(_ store: any Store) async throws {
        #expect(try await store.tokens().isEmpty)
        try await store.createToken(token("ci", role: .operator))
        try await store.createToken(token("alice", role: .admin))
        #expect(try await store.tokens().map(\.name) == ["alice", "ci"])
        let found = try #require(try await store.token(prefix: "errand_ci"))
        #expect(found == token("ci", role: .operator))
        #expect(found.lastUsedAt == nil)
        #expect(try await store.token(prefix: "errand_nobody") == nil)

        try await store.touchToken(named: "ci", at: t0.addingTimeInterval(60))
        let touched = try #require(try await store.token(prefix: "errand_ci")?.lastUsedAt)
        #expect(abs(touched.timeIntervalSince(t0.addingTimeInterval(60))) < 0.001)

        #expect(try await store.deleteToken(named: "ci"))
        #expect(try await store.deleteToken(named: "ci") == false)
        #expect(try await store.token(prefix: "errand_ci") == nil)
        #expect(try await store.tokens().map(\.name) == ["alice"])
    }

    static func tokenConflicts(_ store: any Store) async throws {
        try await store.createToken(token("ci"))
        await #expect(throws: ErrandError.self) { try await store.createToken(token("ci", prefix: "errand_other")) }
        await #expect(throws: ErrandError.self) { try await store.createToken(token("other", prefix: "errand_ci")) }
        #expect(try await store.tokens().count == 1)
    }

    static func tickHistory(_ store: any Store) async throws {
        var new = newRun(["job.sh"])
        new.job = "hourly"
        #expect(try await store.lastTick(job: "hourly") == nil)
        var runs: [Run] = []
        for hour in 1...3 {
            runs.append(try #require(try await store.claimTick(job: "hourly", due: t0.addingTimeInterval(Double(hour) * 3600), run: new)))
        }
        #expect(try await store.lastTick(job: "hourly") == t0.addingTimeInterval(3 * 3600))
        // Pruning keeps each job's latest tick, so an old tick is never claimed twice after it.
        try await store.pruneTicks(before: t0.addingTimeInterval(10 * 3600))
        #expect(try await store.lastTick(job: "hourly") == t0.addingTimeInterval(3 * 3600))
        #expect(try await store.claimTick(job: "hourly", due: t0.addingTimeInterval(3 * 3600), run: new) == nil)
        var other = newRun(["other.sh"])
        other.job = "other"
        let otherRun = try await store.createRun(other)
        _ = try await store.createRun(newRun())
        let latest = try await store.latestRunOfEachJob()
        #expect(latest.keys.sorted() == ["hourly", "other"])
        #expect(latest["hourly"]?.id == runs[2].id)
        #expect(latest["other"]?.id == otherRun.id)
    }

    static func trimming(_ store: any Store) async throws {
        let id = try await store.createRun(newRun()).id
        try await store.appendOutput(runID: id, (1...10).map { chunk($0, String(repeating: "x", count: 99) + "\n") })
        #expect(try await store.trimOutput(runID: id, keepBytes: 1000) == 0)
        #expect(try await store.trimOutput(runID: id, keepBytes: 350) == 700)
        let left = try await store.output(runID: id, after: 0, limit: 100)
        #expect(left.map(\.seq) == [8, 9, 10])
        #expect(try await store.trimOutput(runID: id, keepBytes: 0) == 300)
        #expect(try await store.output(runID: id, after: 0, limit: 100).isEmpty)
    }

    static func sessions(_ store: any Store) async throws {
        let session = Session(name: "s1", createdAt: t0, idleTimeout: 60, stopOnExpire: true)
        #expect(try await store.createSession(session))
        #expect(try await store.createSession(Session(name: "s1", createdAt: t0)) == false)
        #expect(try await store.createSession(Session(name: "a0", createdAt: t0)))
        let read = try #require(try await store.session(named: "s1"))
        #expect(read.name == "s1" && read.state == .connected && read.idleTimeout == 60 && read.stopOnExpire)
        #expect(abs(read.createdAt.timeIntervalSince(t0)) < 0.001 && read.disconnectedAt == nil)
        #expect(try await store.sessions().map(\.name) == ["a0", "s1"])

        let later = t0.addingTimeInterval(30)
        #expect(try await store.updateSession(read.disconnected(at: later)))
        let disconnected = try #require(try await store.session(named: "s1"))
        #expect(disconnected.state == .disconnected)
        #expect(abs((disconnected.disconnectedAt ?? .distantPast).timeIntervalSince(later)) < 0.001)
        #expect(try await store.updateSession(Session(name: "nope", createdAt: t0)) == false)

        let run = try await store.createRun(newRun())
        try await store.appendOutput(runID: run.id, [chunk(1, "a")])
        _ = try await store.receive(runID: run.id, reader: Sessions.reader("s1"), limit: 10)
        _ = try await store.receive(runID: run.id, reader: "other", limit: 10)
        #expect(try await store.deleteSession(named: "s1"))
        #expect(try await store.deleteSession(named: "s1") == false)
        #expect(try await store.session(named: "s1") == nil)
        #expect(try await store.cursor(runID: run.id, reader: Sessions.reader("s1")) == 0)
        #expect(try await store.cursor(runID: run.id, reader: "other") == 1)
    }

    static func sessionRuns(_ store: any Store) async throws {
        #expect(try await store.createSession(Session(name: "s1", createdAt: t0)))
        var inSession = newRun()
        inSession.session = "s1"
        let mine = try await store.createRun(inSession)
        let other = try await store.createRun(newRun())
        #expect(mine.session == "s1" && other.session == nil)
        #expect(try await store.run(id: mine.id)?.session == "s1")
        let reader = Sessions.reader("s1")
        #expect(try await store.runs(RunQuery(reader: reader, session: "s1")).map(\.id) == [mine.id])

        // Both runs finished with output: each reader's cursor decides hasMoreData on its own.
        for id in [mine.id, other.id] {
            try await store.appendOutput(runID: id, [chunk(1, "x")])
            try await store.updateRun(id: id, RunUpdate(state: .completed))
        }
        _ = try await store.receive(runID: mine.id, reader: reader, limit: 10)
        #expect(try await store.runs(RunQuery(reader: reader, session: "s1")).first?.hasMoreData == false)
        #expect(try await store.run(id: mine.id)?.hasMoreData == true)
        #expect(try await store.runs(RunQuery(hasMoreData: true, reader: reader)).map(\.id) == [other.id])

        // A removed session's runs stay, in no session: a new session of that name starts empty.
        try await store.deleteSession(named: "s1")
        #expect(try await store.run(id: mine.id)?.session == nil)
        #expect(try await store.createSession(Session(name: "s1", createdAt: t0)))
        #expect(try await store.runs(RunQuery(session: "s1")).isEmpty)
    }

    static func fanOut(_ store: any Store) async throws {
        var parentFields = newRun()
        parentFields.type = .remoteJob
        let parent = try await store.createRun(parentFields)
        var childFields = newRun()
        childFields.type = .remoteJob
        childFields.parentId = parent.id
        let children = [try await store.createRun(childFields), try await store.createRun(childFields)]
        var retryFields = newRun()
        retryFields.parentId = parent.id  // a retry: a parent, but not remote
        let retry = try await store.createRun(retryFields)
        #expect(try await store.runs(RunQuery(parent: parent.id)).map(\.id) == children.map(\.id) + [retry.id])
        #expect(try await store.runs(RunQuery(includeChildren: false)).map(\.id) == [parent.id, retry.id])
        #expect(try await store.runs(RunQuery()).count == 4)
        #expect(try await store.run(id: children[0].id)?.isFanOutChild == true)
        #expect(try await store.run(id: parent.id)?.isFanOutParent == true)
        #expect(try await store.run(id: retry.id)?.isFanOutChild == false)

        var labelled = chunk(1, "from a\n")
        labelled.host = "a"
        try await store.appendOutput(runID: parent.id, [labelled, chunk(2, "own\n")])
        #expect(try await store.output(runID: parent.id, after: 0, limit: 10).map(\.host) == ["a", nil])
        #expect(try await store.receive(runID: parent.id, reader: "", limit: 1)?.first?.host == "a")
    }

    static func finalStates(_ store: any Store) async throws {
        let run = try await store.createRun(newRun())
        try await store.updateRun(id: run.id, RunUpdate(state: .running, pid: 42))
        try await store.updateRun(id: run.id, RunUpdate(state: .stopped, reason: "stopped on request", endedAt: t0))
        #expect(try await store.updateRun(id: run.id, RunUpdate(state: .stopping)))
        #expect(try await store.run(id: run.id)?.state == .stopped)
        try await store.updateRun(id: run.id, RunUpdate(state: .running, pid: 43))
        let read = try #require(try await store.run(id: run.id))
        #expect(read.state == .stopped && read.pid == 43)
        // Finished states may still be corrected (recovery records Failed over a lost run's Running).
        try await store.updateRun(id: run.id, RunUpdate(state: .failed))
        #expect(try await store.run(id: run.id)?.state == .failed)
    }
}
