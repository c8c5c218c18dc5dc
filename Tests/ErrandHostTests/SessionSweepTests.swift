import ErrandCore
import ErrandHost
import ErrandStore
import Foundation
import Testing

/// The expiry sweep with explicit times: nothing here sleeps for the idle timeout.
@Suite("Session expiry sweep", .timeLimit(.minutes(1)))
struct SessionSweepTests {
    @Test("expired sessions are removed; only --stop-on-expire sessions stop their runs")
    func sweep() async throws {
        let fixture = try RunCoordinatorTests.Fixture()
        try await fixture.serving { coordinator in
            _ = try await coordinator.createSession(SessionRequest(name: "keep", idleTimeout: 60))
            _ = try await coordinator.createSession(SessionRequest(name: "stop", idleTimeout: 60, stopOnExpire: true))
            _ = try await coordinator.createSession(SessionRequest(name: "live", idleTimeout: 60, stopOnExpire: true))
            var ids: [String: Int64] = [:]
            for name in ["keep", "stop", "live"] {
                let request = RunRequest(argv: ["sleep", "30"], environment: RunCoordinatorTests.environment, session: name)
                ids[name] = try await coordinator.start(request).id
            }
            _ = try await coordinator.disconnectSession("keep")
            let disconnectedAt = try #require(try await coordinator.disconnectSession("stop").session.disconnectedAt)

            #expect(try await coordinator.expireSessions(at: disconnectedAt.addingTimeInterval(59)).isEmpty)
            let expired = try await coordinator.expireSessions(at: disconnectedAt.addingTimeInterval(3600))
            #expect(Set(expired) == ["keep", "stop"])
            #expect(try await coordinator.sessionViews().map(\.session.name) == ["live"])

            let stopped = try await coordinator.run(id: ids["stop"]!)
            #expect(stopped.state == .stopped)
            #expect(stopped.reason?.contains("session 'stop' expired") == true)
            #expect(try await coordinator.run(id: ids["keep"]!).state == .running)
            #expect(try await coordinator.run(id: ids["live"]!).state == .running)
            for id in ids.values { _ = try? await coordinator.stop(id: id, grace: .zero) }
        }
    }

    @Test("using a session reconnects it; unknown sessions are not found")
    func use() async throws {
        let fixture = try RunCoordinatorTests.Fixture()
        try await fixture.serving { coordinator in
            _ = try await coordinator.createSession(SessionRequest(name: "s"))
            await #expect(throws: ErrandError.self) { try await coordinator.createSession(SessionRequest(name: "s")) }
            _ = try await coordinator.disconnectSession("s")
            #expect(try await coordinator.useSession("s") == Sessions.reader("s"))
            #expect(try await coordinator.sessionView(named: "s").session.state == .connected)
            await #expect(throws: ErrandError.self) { try await coordinator.useSession("missing") }
            await #expect(throws: ErrandError.self) {
                try await coordinator.start(RunRequest(argv: ["true"], environment: RunCoordinatorTests.environment, session: "missing"))
            }
        }
    }
}
