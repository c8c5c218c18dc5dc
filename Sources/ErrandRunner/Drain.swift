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
                    while let bytes = await reader.next() { await self.output(channel, bytes) }
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
            // A timer whose only effect is to end this wait; the first of it and the pipes' end answers.
            Task {
                try? await Task.sleep(for: limit)
                answer.give(false)
            }
        }
    }
}

/// Resumes a continuation once, whichever of several events comes first.
private final class Answer: Sendable {
    private let continuation: Mutex<CheckedContinuation<Bool, Never>?>

    init(_ continuation: CheckedContinuation<Bool, Never>) { self.continuation = Mutex(continuation) }

    func give(_ value: Bool) {
        continuation.withLock { $0.take() }?.resume(returning: value)
    }
}
