import ErrandCore
import ErrandStore
import Foundation
import Testing

/// Runs: ids, names, fields, updates, listing, deletion.
extension StoreContract {
    static let runChecks: [Check] = [
        ("ids increase and default names are Job<Id>", idsAndNames),
        ("a run round-trips every field", roundTrip),
        ("a not-before time round-trips, through reads, lists and tick claims", notBefore),
        ("updates write only the given fields", partialUpdate),
        ("hasMoreData follows state and the reader's cursor", hasMoreData),
        ("the hasMoreData filter selects exactly the runs whose hasMoreData is that value", hasMoreDataFilter),
        ("queries filter by id, name, state, newest, before/after", queries),
        ("after, before, newest and limit combine; limits below 1 select nothing", windows),
        ("deleting a run deletes its output and cursors; ids are not reused", deletion),
        ("environment is kept apart from the run", environment),
        ("unknown runs are nil, not errors", unknownRuns),
        ("a fan-out's children are listed by parent and left out when asked", fanOutChildren),
        ("a finished state is final: a late Stopping or Running does not undo it", finalStates),
    ]

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
        #expect(read.notBefore == nil && read.job == nil && read.session == nil && read.parentId == nil)
        #expect(read.runAs == nil)
        var other = newRun(name: "as-nobody")
        other.runAs = "nobody"
        let created2 = try await store.createRun(other)
        #expect(created2.runAs == "nobody")
        #expect(try await store.runs(RunQuery(names: ["as-nobody"])).map(\.runAs) == ["nobody"])
        other.job = "nightly"
        #expect(try await store.claimTick(job: "nightly", due: t0, run: other)?.runAs == "nobody")
    }

    static func notBefore(_ store: any Store) async throws {
        let due = t0.addingTimeInterval(30.5)
        var held = newRun(["retry.sh"])
        held.notBefore = due
        let created = try await store.createRun(held)
        #expect(created.state == .notStarted)
        #expect(abs((created.notBefore ?? .distantPast).timeIntervalSince(due)) < 0.001)
        let read = try #require(try await store.run(id: created.id))
        #expect(read == created)
        #expect(try await store.runs(RunQuery(states: [.notStarted])).map(\.notBefore) == [created.notBefore])
        // Updating other fields keeps it; runs created without one have none.
        try await store.updateRun(id: created.id, RunUpdate(startedAt: due))
        #expect(try await store.run(id: created.id)?.notBefore == created.notBefore)
        #expect(try await store.createRun(newRun()).notBefore == nil)
        held.job = "nightly"
        let claimed = try #require(try await store.claimTick(job: "nightly", due: t0, run: held))
        #expect(claimed.notBefore == created.notBefore)
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

    static func hasMoreDataFilter(_ store: any Store) async throws {
        // One run per state, each with output; the reader "r" received the output of every other one.
        var ids: [Int64] = []
        for (index, state) in RunState.allCases.enumerated() {
            for withOutput in [false, true] {
                let id = try await store.createRun(newRun()).id
                ids.append(id)
                if withOutput { try await store.appendOutput(runID: id, [chunk(1, "x")]) }
                if index % 2 == 0 { _ = try await store.receive(runID: id, reader: "r", limit: 10) }
                try await store.updateRun(id: id, RunUpdate(state: state))
            }
        }
        for reader in ["", "r"] {
            let all = try await store.runs(RunQuery(reader: reader))
            #expect(all.map(\.id) == ids)
            for run in all {
                let cursor = try await store.cursor(runID: run.id, reader: reader)
                #expect(run.hasMoreData == Receiving.hasMoreData(state: run.state, lastSeq: run.outputSeq, cursor: cursor))
            }
            for value in [true, false] {
                let filtered = try await store.runs(RunQuery(hasMoreData: value, reader: reader))
                #expect(filtered.map(\.id) == all.filter { $0.hasMoreData == value }.map(\.id), "reader '\(reader)', \(value)")
            }
        }
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

    static func windows(_ store: any Store) async throws {
        var ids: [Int64] = []
        for index in 0..<6 {
            let id = try await store.createRun(newRun(name: index % 2 == 0 ? "even" : "odd")).id
            ids.append(id)
        }
        #expect(try await store.runs(RunQuery(after: ids[0], before: ids[4])).map(\.id) == Array(ids[1...3]))
        #expect(try await store.runs(RunQuery(after: ids[4], before: ids[1])).isEmpty)
        // newest picks the newest matches of the other filters, still in id order; limit then cuts from the start.
        #expect(try await store.runs(RunQuery(names: ["even"], newest: 2)).map(\.id) == [ids[2], ids[4]])
        #expect(try await store.runs(RunQuery(before: ids[5], newest: 2)).map(\.id) == [ids[3], ids[4]])
        #expect(try await store.runs(RunQuery(newest: 3, limit: 2)).map(\.id) == [ids[3], ids[4]])
        #expect(try await store.runs(RunQuery(newest: 100)).map(\.id) == ids)
        #expect(try await store.runs(RunQuery(after: ids[5])).isEmpty)
        for bad in [0, -1, Int.min] {
            #expect(try await store.runs(RunQuery(newest: bad)).isEmpty, "newest \(bad)")
            #expect(try await store.runs(RunQuery(limit: bad)).isEmpty, "limit \(bad)")
        }
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

    static func fanOutChildren(_ store: any Store) async throws {
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
        // Every finished state stays finished whatever unfinished state is written after it.
        for finished in RunState.allCases where finished.isFinished {
            for late in RunState.allCases where !late.isFinished {
                let id = try await store.createRun(newRun()).id
                try await store.updateRun(id: id, RunUpdate(state: finished))
                try await store.updateRun(id: id, RunUpdate(state: late, reason: "late \(late)"))
                let after = try #require(try await store.run(id: id))
                #expect(after.state == finished, "\(finished) then \(late)")
                #expect(after.reason == "late \(late)")
            }
        }
    }
}
