import ErrandCore
import ErrandStore
import Foundation
import Logging
import Synchronization

/// Collects one run's output from its pipes and writes it to the store in batches: many reads
/// become one chunk, many chunks one transaction. Readers only touch memory; a single writer
/// loop does the I/O, so chunks reach the store in order. When the writer falls behind by
/// `highWater` bytes, readers wait, the pipe fills and the process slows: memory stays bounded.
///
/// A fan-out child's chunks are its parent's output too (the store numbers them in the parent as it
/// stores them, once): its capture tells the parent's readers as well as its own.
final class OutputCapture: Sendable {
    struct Tuning: Sendable {
        /// How often buffered output is written even when little has arrived.
        var flushInterval: Duration = .milliseconds(25)
        /// How long an unterminated line may wait for its end before it is written as it is.
        var linger: TimeInterval = 0.2
        /// Closed chunks worth writing at once, without waiting for the interval.
        var flushBytes = 256 * 1024
        /// Unwritten bytes past which readers wait for the writer.
        var highWater = 4 * 1024 * 1024
        var maxChunkBytes = 64 * 1024
    }

    fileprivate struct State {
        var assembler: ChunkAssembler
        var roomWaiters: [CheckedContinuation<Void, Never>] = []
        /// The writer, pausing to gather more output, until there is reason to write at once.
        var gatherer: CheckedContinuation<Void, Never>?
        var finished = false
        /// When the process last wrote anything (for `idle_timeout`).
        var lastActivity: Date
    }

    let runID: Int64
    /// The fan-out parent whose output this child's is part of.
    private let fanOutParent: Int64?
    private let store: any Store
    private let hub: EventHub
    private let tuning: Tuning
    private let now: @Sendable () -> Date
    private let logger: Logger
    /// Where a write that keeps failing is told, so reads of the run say why it seems stuck.
    private let problems: RunProblems?
    private let state: Mutex<State>
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init(
        runID: Int64, lastSeq: Int64, store: any Store, hub: EventHub, tuning: Tuning = Tuning(),
        now: @escaping @Sendable () -> Date, logger: Logger, problems: RunProblems? = nil,
        fanOutParent: Int64? = nil
    ) {
        self.problems = problems
        self.runID = runID
        self.fanOutParent = fanOutParent
        self.store = store
        self.hub = hub
        self.tuning = tuning
        self.now = now
        self.logger = logger
        self.state = Mutex(
            State(assembler: ChunkAssembler(maxChunkBytes: tuning.maxChunkBytes, lastSeq: lastSeq), lastActivity: now()))
        (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Takes bytes read from a pipe; waits only when the writer is far behind.
    func append(_ bytes: [UInt8], from channel: OutputChannel) async {
        let time = now()
        let buffered = state.withLock { state in
            state.assembler.append(bytes, stream: channel, at: time)
            state.lastActivity = time
            return state.assembler.sealedBytes
        }
        wake.yield()
        if buffered >= tuning.highWater { await waitForRoom() }
    }

    private func waitForRoom() async {
        await withCheckedContinuation { continuation in
            let mustWait = state.withLock { state in
                guard state.assembler.sealedBytes >= tuning.highWater else { return false }
                state.roomWaiters.append(continuation)
                return true
            }
            if !mustWait { continuation.resume() }
        }
    }

    /// When the process last wrote output (its start when it has written nothing).
    var lastActivity: Date { state.withLock { $0.lastActivity } }

    /// Writes a text line to the run's Error stream (a launch failure, a daemon notice).
    func note(_ message: String) async {
        await append(Array((message.hasSuffix("\n") ? message : message + "\n").utf8), from: .error)
    }

    /// No more bytes will come: the writer writes what is left, at once, and returns.
    func finish() {
        let gatherer = state.withLock { state in
            state.finished = true
            return state.takeGatherer()
        }
        gatherer?.resume()
        wake.yield()
    }

    /// The writer loop; returns once ``finish()`` was called and everything is stored. It sleeps
    /// while the run is quiet: bytes wake it, it waits one interval to gather more (unless a full
    /// batch is already there), then writes. A pending unterminated line keeps it ticking until
    /// the line ends or has lingered.
    func run() async {
        for await _ in wakeups {
            if !state.withLock({ $0.isUrgent(tuning) }) { await gather() }
            if await flush() { break }
            if state.withLock({ !$0.assembler.isEmpty }) { wake.yield() }
        }
    }

    /// Waits one flush interval for more output to batch, cut short when the run ends (so a short
    /// run's end is not held up by the interval).
    private func gather() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: self.tuning.flushInterval) }
            group.addTask { await self.untilFinished() }
            await group.next()
            group.cancelAll()
        }
    }

    private func untilFinished() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state in
                    if state.finished || Task.isCancelled { return true }
                    state.gatherer = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.takeGatherer() }?.resume()
        }
    }

    /// Writes what is ready; true when the capture is finished and nothing is left.
    private func flush() async -> Bool {
        let time = now()
        let (chunks, finished) = state.withLock { state in
            let chunks =
                state.finished
                ? state.assembler.takeAll() : state.assembler.takeForFlush(now: time, linger: tuning.linger)
            return (chunks, state.finished)
        }
        if let last = chunks.last {
            await write(chunks)
            hub.publish(.output(runID: runID, lastSeq: last.seq))
            if let fanOutParent { hub.publish(.output(runID: fanOutParent, lastSeq: nil)) }
        }
        let waiters = state.withLock { state in
            defer { state.roomWaiters.removeAll() }
            return state.roomWaiters
        }
        for waiter in waiters { waiter.resume() }
        return finished
    }

    /// Output is never dropped nor stored twice: a failing write is retried (the process waits meanwhile, and
    /// reads of the run say so).
    private func write(_ chunks: [OutputChunk]) async {
        var attempt = 0
        defer { if attempt > 0 { problems?.set(runID, nil) } }
        while true {
            do {
                try await store.appendOutput(runID: runID, chunks)
                return
            } catch let error as ErrandError where error.code == .conflict && attempt > 0 {
                // A retry of a batch whose first write was committed but not acknowledged (the connection to a
                // database server dropped at that moment): the batch is one transaction, so it is all there.
                return
            } catch is CancellationError {
                // The run's task is being cancelled: write from a task of its own, once, rather than spin.
                let (store, runID) = (store, runID)
                do {
                    try await Task.detached { try await store.appendOutput(runID: runID, chunks) }.value
                } catch {
                    logger.error("could not store output of run \(runID) while cancelled: \(error)")
                }
                return
            } catch {
                attempt += 1
                if attempt == 1 || attempt % 12 == 0 {
                    logger.error("could not store output of run \(runID) (attempt \(attempt)): \(error)")
                }
                let reason = (error as? ErrandError)?.message ?? String(describing: error)
                problems?.set(
                    runID, "its output cannot be stored (\(reason)); the run's process waits until it can, trying again")
                try? await Task.sleep(for: .seconds(min(attempt, 5)))
            }
        }
    }
}

extension OutputCapture.State {
    /// The run has ended, or a full batch waits: write now rather than gather more.
    fileprivate func isUrgent(_ tuning: OutputCapture.Tuning) -> Bool {
        finished || assembler.sealedBytes >= tuning.flushBytes
    }

    fileprivate mutating func takeGatherer() -> CheckedContinuation<Void, Never>? {
        defer { gatherer = nil }
        return gatherer
    }
}
