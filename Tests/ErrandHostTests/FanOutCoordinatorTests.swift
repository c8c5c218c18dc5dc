import ErrandCore
import ErrandHost
import ErrandStore
import Foundation
import Testing

/// The coordinator's side of fan-out, with hosts that cannot be reached (no network needed): the
/// end-to-end tests reach real daemons and a real sshd.
@Suite("Fan-out in the coordinator", .timeLimit(.minutes(2)))
struct FanOutCoordinatorTests {
    /// A loopback port nothing listens on.
    static let closedPort = 1

    @Test("unreachable hosts fail their children with the reason; the parent fails naming them and merges their notes")
    func unreachable() async throws {
        let fixture = try RunCoordinatorTests.Fixture()
        try await fixture.serving { coordinator in
            let parent = try await coordinator.invoke(
                InvokeRequest(
                    argv: ["true"],
                    on: [
                        FanOutHost(name: "dead", url: "http://127.0.0.1:\(Self.closedPort)"),
                        FanOutHost(name: "nossh", url: "ssh://nobody@127.0.0.1:\(Self.closedPort)"),
                    ], name: "fan"))
            #expect(parent.state == .running && parent.type == .remoteJob && parent.location == "dead,nossh")
            let (done, runs) = try await coordinator.wait(ids: [parent.id], any: false, timeout: .seconds(30))
            #expect(done)
            #expect(runs[0].state == .failed)
            #expect(runs[0].reason == "2 of 2 hosts failed: dead, nossh")
            let children = try await coordinator.runs(RunQuery(parent: parent.id))
            #expect(children.map(\.location) == ["dead", "nossh"])
            #expect(children.allSatisfy { $0.state == .failed && $0.isFanOutChild && $0.throttleGroup == "fan-out-\(parent.id)" })
            #expect(children[0].reason?.contains("no daemon answers at http://127.0.0.1:1") == true, "\(children[0].reason ?? "")")
            #expect(children[1].reason?.contains("ssh could not run the command on ssh://nobody@127.0.0.1:1") == true)
            let merged = try await fixture.store.output(runID: parent.id, after: 0, limit: 100)
            #expect(Set(merged.compactMap(\.host)) == ["dead", "nossh"])
            #expect(merged.allSatisfy { $0.stream == .error })
            // The parent and its children go together.
            try await coordinator.remove(id: parent.id, force: false)
            #expect(try await fixture.store.runs(RunQuery()).isEmpty)
        }
    }

    @Test("children still queued when the daemon died fail at restart: their hosts' credentials were never stored")
    func recovery() async throws {
        let fixture = try RunCoordinatorTests.Fixture()
        let store = fixture.store
        let parent = try await store.createRun(
            NewRun(type: .remoteJob, argv: ["true"], instance: "a,b", createdAt: Date()))
        try await store.updateRun(id: parent.id, RunUpdate(state: .running))
        let queued = try await store.createRun(
            NewRun(type: .remoteJob, argv: ["true"], instance: "b", parentId: parent.id, createdAt: Date()))
        try await fixture.coordinator.recover()
        #expect(try await store.run(id: parent.id)?.state == .failed)
        let child = try #require(try await store.run(id: queued.id))
        #expect(child.state == .failed)
        #expect(child.reason?.contains("before this child reached b") == true)
    }
}
