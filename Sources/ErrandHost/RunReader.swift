import ErrandCore
import ErrandStore
import Foundation

/// What a read of output returns: the chunks, where the next read starts, and the run as it is.
public struct OutputPage: Sendable {
    public var chunks: [OutputChunk]
    /// The position after these chunks (pass it as `after` to read on).
    public var next: Int64
    public var run: Run
}

/// Every read of runs and their output: Get-Job, Receive-Job, Wait-Job and long polls. A value over the
/// store and the event hub, outside the coordinator's actor, so reads never queue behind run lifecycles.
public struct RunReader: Sendable {
    public let store: any Store
    public let hub: EventHub
    /// Problems the store cannot hold (it cannot be written), shown as the runs' `reason`.
    public let problems: RunProblems

    public init(store: any Store, hub: EventHub, problems: RunProblems = RunProblems()) {
        self.store = store
        self.hub = hub
        self.problems = problems
    }

    public func run(id: Int64, reader: String = Receiving.defaultReader) async throws -> Run {
        try await existingRun(id, reader: reader)
    }

    func existingRun(_ id: Int64, reader: String = Receiving.defaultReader) async throws -> Run {
        guard let run = try await store.run(id: id, reader: reader) else { throw ErrandError.noSuchRun(id) }
        return problems.overlay(run)
    }

    public func runs(_ query: RunQuery) async throws -> [Run] {
        problems.overlay(try await store.runs(query))
    }

    /// Output after `after`, without moving any cursor. With `wait`, a read that finds nothing new
    /// on an unfinished run waits up to that long for output or the run's end (a long poll).
    public func output(id: Int64, after: Int64, limit: Int, wait: Duration = .zero) async throws -> OutputPage {
        // The state is read before the output, so a page that says "finished" holds everything. When
        // the wait ends empty-handed the page is read once more the same way: the run may have
        // finished (and written its last output) since the last look.
        let read: @Sendable () async throws -> OutputPage = {
            let run = try await self.existingRun(id)
            let chunks = try await self.store.output(runID: id, after: after, limit: limit)
            return OutputPage(chunks: chunks, next: chunks.last?.seq ?? after, run: run)
        }
        let page = try await hub.waitFor(runs: [id], timeout: wait) { () async throws -> OutputPage? in
            let page = try await read()
            return page.chunks.isEmpty && !page.run.state.isFinished ? nil : page
        }
        if let page { return page }
        return try await read()
    }

    /// PowerShell's Receive-Job: output this reader has not received yet. Consuming moves the
    /// reader's cursor (the chunks stay stored); `keep` reads what it would get without moving it.
    /// With `wait`, an empty read of an unfinished run waits for output or the run's end. A fan-out
    /// parent's output is its children's: receiving it moves the reader's cursors on the children.
    public func receive(
        id: Int64, reader: String, keep: Bool, limit: Int, wait: Duration = .zero
    ) async throws -> OutputPage {
        // As in `output`: state before output, and one more read when the wait ends empty-handed (an
        // answer built from a fresh state alone could say "finished" without the last output).
        let read: @Sendable () async throws -> OutputPage = {
            // The state is read first: a run seen finished has all its output stored already.
            var run = try await self.existingRun(id, reader: reader)
            let taken =
                keep
                ? try await self.store.peek(runID: id, reader: reader, limit: limit)
                : try await self.store.receive(runID: id, reader: reader, limit: limit)
            guard let chunks = taken else { throw ErrandError.noSuchRun(id) }
            run.outputSeq = max(run.outputSeq, chunks.last?.seq ?? 0)
            if run.state.isFinished {
                // Nothing is added to a finished run: what is left is what this read did not take.
                if keep {
                    run.hasMoreData = !chunks.isEmpty
                } else if chunks.count < limit {
                    run.hasMoreData = false
                } else {
                    run.hasMoreData = try await self.store.run(id: id, reader: reader)?.hasMoreData ?? false
                }
            } else {
                run.hasMoreData = true
            }
            // `next` continues after this page: past its last chunk, else from the reader's cursor (a parent's
            // readers have cursors on its children only: its last number then, everything so far received).
            let next: Int64
            if let last = chunks.last {
                next = last.seq
            } else if run.isFanOutParent {
                next = run.outputSeq
            } else {
                next = try await self.store.cursor(runID: id, reader: reader)
            }
            return OutputPage(chunks: chunks, next: next, run: run)
        }
        let page = try await hub.waitFor(runs: [id], timeout: wait) { () async throws -> OutputPage? in
            let page = try await read()
            return page.chunks.isEmpty && !page.run.state.isFinished ? nil : page
        }
        if let page { return page }
        return try await read()
    }

    /// PowerShell's Wait-Job: returns when every run (or, with `any`, one) is finished, or when
    /// `timeout` passes; `done` says which.
    public func wait(ids: [Int64], any: Bool, timeout: Duration) async throws -> (done: Bool, runs: [Run]) {
        for id in ids { _ = try await existingRun(id) }
        let wanted = Set(ids)
        let done = try await hub.waitFor(runs: wanted, timeout: timeout) { () async throws -> [Run]? in
            let runs = self.problems.overlay(try await self.store.runs(RunQuery(ids: ids)))
            guard runs.count == wanted.count else {
                let missing = wanted.subtracting(runs.map(\.id)).sorted()
                throw ErrandError.notFound("run \(missing.map(String.init).joined(separator: ", ")) was removed while waiting")
            }
            let finished = runs.filter(\.state.isFinished)
            let met = any ? !finished.isEmpty : finished.count == runs.count
            return met ? runs : nil
        }
        if let done { return (true, done) }
        return (false, problems.overlay(try await store.runs(RunQuery(ids: ids))))
    }
}
