import ErrandCore
import ErrandStore
import Foundation
import Testing

/// Output chunks, receive cursors, trimming.
extension StoreContract {
    static let outputChecks: [Check] = [
        ("output is ordered and paged by sequence; a duplicate number is a conflict", outputPaging),
        ("receive consumes per reader and never twice", receiveConsumes),
        ("concurrent receivers of one reader never get the same chunk and together get all", concurrentReceivers),
        ("trimming output deletes the oldest chunks beyond the size kept", trimming),
    ]

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
        let duplicate = await #expect(throws: ErrandError.self) { try await store.appendOutput(runID: run.id, [chunk(4, "again")]) }
        #expect(duplicate?.code == .conflict)
        #expect(try await store.output(runID: run.id, after: 3, limit: 10).map(\.bytes) == [[1, 2]])
        // A limit below 1 is no chunk at all (never "no limit").
        #expect(try await store.output(runID: run.id, after: 0, limit: 0).isEmpty)
        #expect(try await store.output(runID: run.id, after: 0, limit: -1).isEmpty)
        #expect(try await store.receive(runID: run.id, reader: "", limit: -1) == [])
        #expect(try await store.cursor(runID: run.id, reader: "") == 0)
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

    static func concurrentReceivers(_ store: any Store) async throws {
        let id = try await store.createRun(newRun()).id
        let total: Int64 = 300
        // Appended in batches while the receivers run, as a live run's writer does.
        let received = try await withThrowingTaskGroup(of: [Int64].self) { group in
            group.addTask {
                for start in stride(from: Int64(1), through: total, by: 30) {
                    try await store.appendOutput(runID: id, (start...(start + 29)).map { chunk($0, "\($0)\n") })
                }
                return []
            }
            for _ in 0..<12 {
                group.addTask {
                    var mine: [Int64] = []
                    var idle = 0
                    // Each receiver stops once it has seen the end and then found nothing more.
                    while idle < 3 {
                        let page = try await store.receive(runID: id, reader: "shared", limit: 7) ?? []
                        mine += page.map(\.seq)
                        if page.isEmpty, try await store.run(id: id)?.outputSeq == total { idle += 1 } else { idle = 0 }
                        await Task.yield()
                    }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(received.count == Int(total), "no chunk twice")
        #expect(received.sorted() == Array(1...total), "every chunk once")
        #expect(try await store.cursor(runID: id, reader: "shared") == total)
        // Another reader was not moved.
        #expect(try await store.cursor(runID: id, reader: "") == 0)
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
}
