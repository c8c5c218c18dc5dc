import ErrandCore
import ErrandStore
import ErrandTestSupport
import Foundation
import Testing

/// The fleet's agreements on a real PostgreSQL (``FleetStore``): names, heartbeats and fencing, dead instances,
/// leases, stops asked through another instance. Every instance here is a store of its own on one database, as
/// daemons are. `deadAfter: .zero` declares dead anyone who has not heartbeaten in this very transaction, so the
/// tests need no waiting.
@Suite("Fleet store", .enabled(if: TestPostgres.url != nil, "needs ERRAND_TEST_POSTGRES (scripts/with-postgres)"))
struct FleetStoreTests {
    /// Two stores (instances' views) on one fresh database.
    static func fleet() async throws -> (PostgresStore, PostgresStore) {
        let url = try await TestPostgres.freshDatabase()
        return (
            try await PostgresStore.open(url, logger: TestPostgres.logger),
            try await PostgresStore.open(url, logger: TestPostgres.logger)
        )
    }

    static func instance(_ name: String, node: String) -> InstanceRecord {
        InstanceRecord(name: name, node: node, address: "http://\(name):7420", version: "test", startedAt: StoreContract.t0)
    }

    static func run(on instance: String, _ store: PostgresStore) async throws -> Run {
        var new = StoreContract.newRun()
        new.instance = instance
        return try await store.createRun(new)
    }

    @Test("a live name is refused to another node with who holds it; the same node takes it over and fences the old process")
    func names() async throws {
        let (one, two) = try await Self.fleet()
        defer {
            Task {
                await one.close(); await two.close()
            }
        }
        let first = Self.instance("a", node: "n1")
        try await one.register(first, deadAfter: .seconds(60))
        let error = await #expect(throws: ErrandError.self) {
            try await two.register(Self.instance("a", node: "n2"), deadAfter: .seconds(60))
        }
        #expect(error?.code == .conflict)
        #expect(error?.message.contains("http://a:7420") == true, "\(error?.message ?? "")")
        // A restart on the same node (its data dir lock proves the old process gone) takes the name at once.
        let restarted = Self.instance("a", node: "n1")
        try await two.register(restarted, deadAfter: .seconds(60))
        #expect(try await one.heartbeat(name: "a", incarnation: first.incarnation, leaseTime: .seconds(15)) == nil)
        #expect(try await two.heartbeat(name: "a", incarnation: restarted.incarnation, leaseTime: .seconds(15)) == [])
        // A name whose holder stopped heartbeating long enough ago is free for any node.
        try await one.register(Self.instance("a", node: "n3"), deadAfter: .zero)
    }

    @Test("a silent instance is declared dead by another, once: its unfinished runs fail naming it, its leases free, its heartbeat fenced")
    func deadInstances() async throws {
        let (one, two) = try await Self.fleet()
        defer {
            Task {
                await one.close(); await two.close()
            }
        }
        let a = Self.instance("a", node: "n1")
        let b = Self.instance("b", node: "n2")
        try await one.register(a, deadAfter: .seconds(60))
        try await two.register(b, deadAfter: .seconds(60))
        let running = try await Self.run(on: "a", one)
        let finished = try await Self.run(on: "a", one)
        try await one.updateRun(id: finished.id, RunUpdate(state: .completed, endedAt: StoreContract.t0))
        let others = try await Self.run(on: "b", two)
        #expect(try await one.acquireLease("job:solo", holder: "a", leaseTime: .seconds(60)))
        #expect(try await two.acquireLease("job:solo", holder: "b", leaseTime: .seconds(60)) == false)

        // Nobody declares itself dead, and a heartbeat within the limit keeps an instance alive.
        #expect(try await two.reapInstances(deadAfter: .seconds(60), by: "b") == [])
        #expect(try await two.reapInstances(deadAfter: .zero, by: "b") == ["a"])
        #expect(try await one.reapInstances(deadAfter: .zero, by: "c") == ["b"])
        #expect(try await one.reapInstances(deadAfter: .zero, by: "c") == [], "declared dead once")

        let failed = try #require(try await two.run(id: running.id))
        #expect(failed.state == .failed)
        #expect(failed.reason?.contains("instance a stopped heartbeating at") == true, "\(failed.reason ?? "")")
        #expect(try await two.run(id: finished.id)?.state == .completed, "finished runs are left as they were")
        #expect(try await two.run(id: others.id)?.state == .failed)
        #expect(try await one.heartbeat(name: "a", incarnation: a.incarnation, leaseTime: .seconds(15)) == nil)
        let listed = try await one.instances()
        #expect(listed.map(\.name) == ["a", "b"])
        #expect(listed.allSatisfy { $0.state == .dead && $0.runningRuns == 0 })
        // The lease went with its holder: the next instance takes it at once.
        try await two.register(Self.instance("c", node: "n3"), deadAfter: .seconds(60))
        #expect(try await two.acquireLease("job:solo", holder: "c", leaseTime: .seconds(60)))
    }

    @Test("a lease has one holder: renewed by its heartbeats, taken by another only once released, expired or its holder not alive")
    func leases() async throws {
        let (one, two) = try await Self.fleet()
        defer {
            Task {
                await one.close(); await two.close()
            }
        }
        let a = Self.instance("a", node: "n1")
        try await one.register(a, deadAfter: .seconds(60))
        try await two.register(Self.instance("b", node: "n2"), deadAfter: .seconds(60))
        #expect(try await one.acquireLease("job:x", holder: "a", leaseTime: .seconds(60)))
        #expect(try await one.acquireLease("job:x", holder: "a", leaseTime: .seconds(60)), "a holder renews its own")
        #expect(try await two.acquireLease("job:x", holder: "b", leaseTime: .seconds(60)) == false)
        #expect(try await one.heartbeat(name: "a", incarnation: a.incarnation, leaseTime: .seconds(60)) == ["job:x"])
        try await two.releaseLease("job:x", holder: "b")  // not b's: nothing happens
        #expect(try await two.acquireLease("job:x", holder: "b", leaseTime: .seconds(60)) == false)
        try await one.releaseLease("job:x", holder: "a")
        #expect(try await two.acquireLease("job:x", holder: "b", leaseTime: .seconds(60)))
        #expect(try await one.heartbeat(name: "a", incarnation: a.incarnation, leaseTime: .seconds(60)) == [])
        // An expired lease (its holder stopped renewing it) is anyone's.
        #expect(try await two.acquireLease("job:y", holder: "b", leaseTime: .zero))
        #expect(try await one.acquireLease("job:y", holder: "a", leaseTime: .seconds(60)))
        // A leaving instance keeps its lease until it has stopped what it guards and released it.
        #expect(try await one.acquireLease("job:z", holder: "a", leaseTime: .seconds(60)))
        try await one.leave(name: "a", incarnation: a.incarnation, finished: false)
        #expect(try await one.instances().first { $0.name == "a" }?.state == .leaving)
        #expect(try await two.acquireLease("job:z", holder: "b", leaseTime: .seconds(60)) == false)
        // A graceful stop releases everything its instance held.
        try await one.leave(name: "a", incarnation: a.incarnation, finished: true)
        #expect(try await two.acquireLease("job:y", holder: "b", leaseTime: .seconds(60)))
        #expect(try await one.instances().first { $0.name == "a" }?.state == .dead)
    }

    @Test("a stop asked through another instance reaches the run's instance once; a finished run's stop is refused")
    func stopRequests() async throws {
        let (one, two) = try await Self.fleet()
        defer {
            Task {
                await one.close(); await two.close()
            }
        }
        let run = try await Self.run(on: "a", one)
        #expect(try await two.requestStop(runID: run.id, grace: 2.5))
        #expect(try await two.takeStopRequests(instance: "b") == [])
        #expect(try await one.takeStopRequests(instance: "a") == [StopRequest(runID: run.id, grace: 2.5)])
        #expect(try await one.takeStopRequests(instance: "a") == [], "each stop is handed out once")
        #expect(try await two.requestStop(runID: run.id, grace: nil))
        #expect(try await one.takeStopRequests(instance: "a") == [StopRequest(runID: run.id, grace: nil)])
        try await one.updateRun(id: run.id, RunUpdate(state: .stopped, endedAt: StoreContract.t0))
        #expect(try await two.requestStop(runID: run.id, grace: nil) == false)
        #expect(try await two.requestStop(runID: 999_999, grace: nil) == false)
    }

    @Test(
        "runs for other instances are claimed once each: pinned ones by their instance only, `any` by whoever comes first, after notBefore")
    func claims() async throws {
        let (one, two) = try await Self.fleet()
        defer {
            Task {
                await one.close(); await two.close()
            }
        }
        func waiting(for instance: String, notBefore: Date? = nil) async throws -> Int64 {
            var new = StoreContract.newRun()
            new.instance = instance
            new.awaitingClaim = true
            new.notBefore = notBefore
            return try await one.createRun(new).id
        }
        var open: [Int64] = []
        for _ in 0..<40 { open.append(try await waiting(for: InstanceRecord.anyInstance)) }
        let pinned = try await waiting(for: "b")
        let later = try await waiting(for: InstanceRecord.anyInstance, notBefore: Date().addingTimeInterval(3600))
        // A run created the ordinary way is its instance's already: nobody claims it.
        _ = try await Self.run(on: "a", one)

        @Sendable func claimAll(_ store: PostgresStore, as instance: String) async throws -> [Run] {
            var claimed: [Run] = []
            while true {
                let taken = try await store.claimRuns(instance: instance, limit: 3)
                if taken.isEmpty { return claimed }
                claimed += taken
            }
        }
        async let byA = claimAll(one, as: "a")
        async let byC = claimAll(two, as: "c")
        let (a, c) = try await (byA, byC)
        #expect((a + c).map(\.id).sorted() == open, "each open run claimed exactly once")
        #expect(a.allSatisfy { $0.location == "a" } && c.allSatisfy { $0.location == "c" })
        #expect(try await one.run(id: open[0])?.location == (a.contains { $0.id == open[0] } ? "a" : "c"))
        #expect(try await two.claimRuns(instance: "b", limit: 10).map(\.id) == [pinned])
        #expect(try await two.claimRuns(instance: "b", limit: 10) == [])
        // Stopped before anyone claimed it: Stopped at once, and never claimed.
        #expect(try await two.requestStop(runID: later, grace: nil))
        let stopped = try #require(try await one.run(id: later))
        #expect(stopped.state == .stopped)
        #expect(stopped.reason == "stopped on request before an instance took it")
        #expect(try await one.claimRuns(instance: "a", limit: 10) == [])
    }

    @Test("an instance watches other instances' unfinished and lately ended runs, not its own")
    func activity() async throws {
        let (one, two) = try await Self.fleet()
        defer {
            Task {
                await one.close(); await two.close()
            }
        }
        let mine = try await Self.run(on: "b", two)
        let theirs = try await Self.run(on: "a", one)
        try await one.appendOutput(runID: theirs.id, [StoreContract.chunk(1, "x")])
        let old = try await Self.run(on: "a", one)
        try await one.updateRun(id: old.id, RunUpdate(state: .completed, endedAt: Date().addingTimeInterval(-3600)))
        let seen = try await two.activity(excludingInstance: "b", window: .seconds(30))
        #expect(seen == [RunActivity(id: theirs.id, state: .notStarted, outputSeq: 1)])
        #expect(!seen.contains { $0.id == mine.id })
    }
}
