import ErrandCore
import Synchronization

/// Reads a run's pipes to their end, handing each read to `output` in the order it came, and tells
/// the launcher whether they reached their end within a period (the drain after the leader exits).
final class Drain: Sendable {
    private let readers: [(OutputChannel, PipeReader)]
    private let output: @Sendable (OutputChannel, [UInt8]) async -> Void
    private let state = Mutex<(done: Bool, waiters: [@Sendable () -> Void])>((false, []))

    init(readers: [(OutputChannel, PipeReader)], output: @escaping @Sendable (OutputChannel, [UInt8]) async -> Void) {
        self.readers = readers
        self.output = output
    }

    /// Reads every pipe until its end of file (or until it is closed).
    func readAll() async {
        await withTaskGroup(of: Void.self) { group in
            for (channel, reader) in readers {
                group.addTask {
                    await reader.readAll { bytes in await self.output(channel, bytes) }
                }
            }
        }
        let waiters = state.withLock { state in
            state.done = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter() }
    }

    /// True when every pipe reached its end within `limit` (at once when they already had).
    func finished(within limit: Duration) async -> Bool {
        if state.withLock({ $0.done }) { return true }
        return await withCheckedContinuation { continuation in
            let answer = Answer(continuation)
            let done = state.withLock { state in
                if !state.done { state.waiters.append { answer.give(true) } }
                return state.done
            }
            if done { return answer.give(true) }
            // A timer whose only effect is to end this wait; the first of it and the pipes' end answers,
            // and an answer from the pipes cancels the timer.
            answer.attach(
                Task {
                    try? await Task.sleep(for: limit)
                    answer.give(false)
                })
        }
    }
}

/// Resumes a continuation once, whichever of several events comes first, and then cancels its timer.
private final class Answer: Sendable {
    private let state: Mutex<(continuation: CheckedContinuation<Bool, Never>?, timer: Task<Void, Never>?)>

    init(_ continuation: CheckedContinuation<Bool, Never>) { state = Mutex((continuation, nil)) }

    func attach(_ timer: Task<Void, Never>) {
        let answered = state.withLock { state in
            if state.continuation != nil { state.timer = timer }
            return state.continuation == nil
        }
        if answered { timer.cancel() }
    }

    func give(_ value: Bool) {
        let (continuation, timer) = state.withLock { state in
            defer { state = (nil, nil) }
            return (state.continuation, state.timer)
        }
        timer?.cancel()
        continuation?.resume(returning: value)
    }
}
