import ErrandCore
import ErrandHost
import ErrandStore
import ErrandTestSupport
import Foundation
import Testing

/// The expiry sweep on a manual clock: nothing here sleeps for the idle timeout.
@Suite("Session expiry sweep", .timeLimit(.minutes(1)))
struct SessionSweepTests {
    @Test("expired sessions are removed; only --stop-on-expire sessions stop their runs")
    func sweep() async throws {
        let clock = ManualClock()
        let fixture = try RunCoordinatorTests.Fixture(clock: clock)
        let sessions = SessionService(coordinator: fixture.coordinator)
        try await fixture.serving { coordinator in
            _ = try await sessions.create(SessionRequest(name: "keep", idleTimeout: 60))
            _ = try await sessions.create(SessionRequest(name: "stop", idleTimeout: 60, stopOnExpire: true))
            _ = try await sessions.create(SessionRequest(name: "live", idleTimeout: 60, stopOnExpire: true))
            var ids: [String: Int64] = [:]
            for name in ["keep", "stop", "live"] {
                let request = RunRequest(argv: ["sleep", "30"], environment: RunCoordinatorTests.environment, session: name)
                ids[name] = try await coordinator.start(request).id
            }
            _ = try await sessions.disconnect("keep")
            _ = try await sessions.disconnect("stop")

            clock.advance(by: .seconds(59))
            #expect(try await sessions.expire().isEmpty)
            clock.advance(by: .seconds(1))
            let expired = try await sessions.expire()
            #expect(Set(expired) == ["keep", "stop"])
            #expect(try await sessions.views().map(\.session.name) == ["live"])

            let stopped = try await coordinator.reader.run(id: ids["stop"]!)
            #expect(stopped.state == .stopped)
            #expect(stopped.reason?.contains("session 'stop' expired") == true)
            #expect(try await coordinator.reader.run(id: ids["keep"]!).state == .running)
            #expect(try await coordinator.reader.run(id: ids["live"]!).state == .running)
            for id in ids.values { _ = try? await coordinator.stop(id: id, grace: .zero) }
        }
    }

    @Test("using a session reconnects it; unknown sessions are not found")
    func use() async throws {
        let fixture = try RunCoordinatorTests.Fixture()
        let sessions = SessionService(coordinator: fixture.coordinator)
        try await fixture.serving { coordinator in
            _ = try await sessions.create(SessionRequest(name: "s"))
            await #expect(throws: ErrandError.self) { try await sessions.create(SessionRequest(name: "s")) }
            _ = try await sessions.disconnect("s")
            #expect(try await sessions.use("s") == Sessions.reader("s"))
            #expect(try await sessions.view(named: "s").session.state == .connected)
            await #expect(throws: ErrandError.self) { try await sessions.use("missing") }
            await #expect(throws: ErrandError.self) {
                try await coordinator.start(RunRequest(argv: ["true"], environment: RunCoordinatorTests.environment, session: "missing"))
            }
        }
    }
}
