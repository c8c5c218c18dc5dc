import ErrandCore
import ErrandStore
import Foundation
import Testing

/// A fan-out's output: stored once, in its children; the parent's output is its children's, labelled with
/// their hosts, and receiving one consumes the other (PowerShell's Receive-Job on a parent and its child jobs).
extension StoreContract {
    static let fanOutChecks: [Check] = [
        ("a fan-out parent's output is its children's, labelled and numbered in the order stored", fanOutView),
        ("receiving a fan-out parent consumes its children's output and receiving a child the parent's", fanOutReceive),
        ("a fan-out's output is stored once: a removed child takes its output out of the parent's", fanOutStoredOnce),
        ("hasMoreData of a fan-out parent is its children's, for each reader, in reads and filters", fanOutHasMoreData),
        ("concurrent receivers of a fan-out parent and its children never get a chunk twice", fanOutConcurrentReceivers),
        ("peek returns what receive would, without moving a cursor", peekLeavesCursors),
    ]

    /// A parent with children on hosts "a" and "b".
    static func fanOut(_ store: any Store) async throws -> (parent: Run, a: Run, b: Run) {
        var parentFields = newRun(["hostname"])
        parentFields.type = .remoteJob
        parentFields.instance = "a,b"
        let parent = try await store.createRun(parentFields)
        func child(_ host: String) async throws -> Run {
            var fields = newRun(["hostname"])
            fields.type = .remoteJob
            fields.parentId = parent.id
            fields.instance = host
            return try await store.createRun(fields)
        }
        return (parent, try await child("a"), try await child("b"))
    }

    static func text(_ chunks: [OutputChunk]?) -> [String] {
        (chunks ?? []).map { "\($0.host ?? "-"):" + String(decoding: $0.bytes, as: UTF8.self) }
    }

    static func fanOutView(_ store: any Store) async throws {
        let (parent, a, b) = try await fanOut(store)
        try await store.appendOutput(runID: a.id, [chunk(1, "a1"), chunk(2, "a2", .error)])
        try await store.appendOutput(runID: b.id, [chunk(1, "b1")])
        try await store.appendOutput(runID: a.id, [chunk(3, "a3")])
        let view = try await store.output(runID: parent.id, after: 0, limit: 100)
        #expect(text(view) == ["a:a1", "a:a2", "b:b1", "a:a3"])
        #expect(view.map(\.seq) == [1, 2, 3, 4])
        #expect(view.map(\.stream) == [.output, .error, .output, .output])
        #expect(view.map(\.time) == [chunk(1, "").time, chunk(2, "").time, chunk(1, "").time, chunk(3, "").time])
        #expect(try await store.run(id: parent.id)?.outputSeq == 4)
        #expect(text(try await store.output(runID: parent.id, after: 2, limit: 1)) == ["b:b1"])
        // A child read on its own has its own numbers and no labels.
        let own = try await store.output(runID: b.id, after: 0, limit: 100)
        #expect(own.map(\.seq) == [1] && own.map(\.host) == [nil])
        #expect(try await store.run(id: a.id)?.outputSeq == 3)
        // A run that is not a fan-out's child is in no parent's output (a retry has a parent but is not remote).
        var retryFields = newRun()
        retryFields.parentId = parent.id
        let retry = try await store.createRun(retryFields)
        try await store.appendOutput(runID: retry.id, [chunk(1, "retry")])
        #expect(try await store.output(runID: parent.id, after: 0, limit: 100).count == 4)
    }

    static func fanOutReceive(_ store: any Store) async throws {
        let (parent, a, b) = try await fanOut(store)
        try await store.appendOutput(runID: a.id, [chunk(1, "a1"), chunk(2, "a2")])
        try await store.appendOutput(runID: b.id, [chunk(1, "b1")])
        try await store.appendOutput(runID: a.id, [chunk(3, "a3")])
        // Receiving child a first leaves only the rest for the parent.
        #expect(text(try await store.receive(runID: a.id, reader: "", limit: 1)) == ["-:a1"])
        #expect(text(try await store.receive(runID: parent.id, reader: "", limit: 100)) == ["a:a2", "b:b1", "a:a3"])
        // Receiving the parent consumed its children's output.
        #expect(try await store.receive(runID: a.id, reader: "", limit: 100) == [])
        #expect(try await store.receive(runID: b.id, reader: "", limit: 100) == [])
        #expect(try await store.receive(runID: parent.id, reader: "", limit: 100) == [])
        // Another reader has its own cursors; a parent's receive in small pages never skips nor repeats.
        #expect(text(try await store.receive(runID: parent.id, reader: "r", limit: 2)) == ["a:a1", "a:a2"])
        #expect(text(try await store.receive(runID: b.id, reader: "r", limit: 100)) == ["-:b1"])
        try await store.appendOutput(runID: b.id, [chunk(2, "b2")])
        #expect(text(try await store.receive(runID: parent.id, reader: "r", limit: 1)) == ["a:a3"])
        #expect(text(try await store.receive(runID: parent.id, reader: "r", limit: 1)) == ["b:b2"])
        #expect(try await store.receive(runID: parent.id, reader: "r", limit: 1) == [])
        // What a parent's receive returns carries the parent's numbers, as its other reads do.
        #expect(try await store.receive(runID: parent.id, reader: "s", limit: 100)?.map(\.seq) == [1, 2, 3, 4, 5])
    }

    static func fanOutStoredOnce(_ store: any Store) async throws {
        let (parent, a, b) = try await fanOut(store)
        try await store.appendOutput(runID: a.id, [chunk(1, "a1")])
        try await store.appendOutput(runID: b.id, [chunk(1, "b1")])
        #expect(try await store.deleteRun(id: b.id))
        #expect(text(try await store.output(runID: parent.id, after: 0, limit: 100)) == ["a:a1"])
        #expect(text(try await store.receive(runID: parent.id, reader: "", limit: 100)) == ["a:a1"])
        // Trimming a child trims the parent's output with it.
        try await store.appendOutput(runID: a.id, [chunk(2, "a2")])
        try await store.trimOutput(runID: a.id, keepBytes: 2)
        #expect(text(try await store.output(runID: parent.id, after: 0, limit: 100)) == ["a:a2"])
    }

    static func fanOutHasMoreData(_ store: any Store) async throws {
        let (parent, a, b) = try await fanOut(store)
        try await store.appendOutput(runID: a.id, [chunk(1, "a1")])
        try await store.appendOutput(runID: b.id, [chunk(1, "b1")])
        for run in [parent, a, b] { try await store.updateRun(id: run.id, RunUpdate(state: .completed)) }
        func more(_ run: Run, _ reader: String = "") async throws -> Bool? { try await store.run(id: run.id, reader: reader)?.hasMoreData }
        #expect(try await more(parent) == true)
        _ = try await store.receive(runID: a.id, reader: "", limit: 100)
        #expect(try await [more(parent), more(a), more(b)] == [true, false, true])
        _ = try await store.receive(runID: parent.id, reader: "", limit: 100)
        #expect(try await [more(parent), more(a), more(b)] == [false, false, false])
        #expect(try await more(parent, "other") == true)
        #expect(try await store.runs(RunQuery(hasMoreData: true)).isEmpty)
        #expect(try await store.runs(RunQuery(hasMoreData: true, reader: "other")).map(\.id) == [parent.id, a.id, b.id])
        _ = try await store.receive(runID: parent.id, reader: "other", limit: 100)
        #expect(try await store.runs(RunQuery(hasMoreData: false, reader: "other")).map(\.id) == [parent.id, a.id, b.id])
        // An unfinished parent has more data whatever was received.
        let (running, _, _) = try await fanOut(store)
        #expect(try await more(running) == true)
    }

    static func fanOutConcurrentReceivers(_ store: any Store) async throws {
        let (parent, a, b) = try await fanOut(store)
        for seq in Int64(1)...40 {
            try await store.appendOutput(runID: seq % 2 == 0 ? a.id : b.id, [chunk((seq + 1) / 2, "\(seq)")])
        }
        let received = try await withThrowingTaskGroup(of: [String].self) { group in
            for index in 0..<6 {
                let run = [parent.id, a.id, b.id][index % 3]
                group.addTask {
                    var mine: [String] = []
                    while let page = try await store.receive(runID: run, reader: "", limit: 3), !page.isEmpty {
                        mine += page.map { String(decoding: $0.bytes, as: UTF8.self) }
                    }
                    return mine
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(received.count == 40)
        #expect(Set(received) == Set((1...40).map(String.init)))
    }

    static func peekLeavesCursors(_ store: any Store) async throws {
        let (parent, a, b) = try await fanOut(store)
        try await store.appendOutput(runID: a.id, [chunk(1, "a1"), chunk(2, "a2")])
        try await store.appendOutput(runID: b.id, [chunk(1, "b1")])
        _ = try await store.receive(runID: a.id, reader: "", limit: 1)
        #expect(text(try await store.peek(runID: parent.id, reader: "", limit: 100)) == ["a:a2", "b:b1"])
        #expect(text(try await store.peek(runID: parent.id, reader: "", limit: 1)) == ["a:a2"])
        #expect(text(try await store.peek(runID: a.id, reader: "", limit: 100)) == ["-:a2"])
        #expect(text(try await store.receive(runID: parent.id, reader: "", limit: 100)) == ["a:a2", "b:b1"])
        #expect(try await store.peek(runID: parent.id, reader: "", limit: 100) == [])
        #expect(try await store.peek(runID: 424_242, reader: "", limit: 100) == nil)
    }
}
