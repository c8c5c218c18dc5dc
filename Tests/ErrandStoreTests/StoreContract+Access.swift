import ErrandCore
import ErrandStore
import Foundation
import Testing

/// API tokens and sessions.
extension StoreContract {
    static let accessChecks: [Check] = [
        ("tokens are created, found by prefix, listed, touched and revoked", tokens),
        ("token names and prefixes are unique: a second one is a conflict", tokenConflicts),
        ("sessions are created once per name, updated, listed and deleted with their cursors", sessions),
        ("a session's runs are its job list; hasMoreData follows the session's cursor", sessionRuns),
    ]

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
        let sameName = await #expect(throws: ErrandError.self) { try await store.createToken(token("ci", prefix: "errand_other")) }
        #expect(sameName?.code == .conflict)
        let samePrefix = await #expect(throws: ErrandError.self) { try await store.createToken(token("other", prefix: "errand_ci")) }
        #expect(samePrefix?.code == .conflict)
        #expect(try await store.tokens().count == 1)
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
}
