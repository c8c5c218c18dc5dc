import ErrandCore
import Foundation
import Synchronization

/// A ``HostClock`` that moves only when a test advances it: sleepers wake when the time passes their
/// deadline, in deadline order, so timeouts, graces, schedules and backoff are tested without real sleeps.
public final class ManualClock: HostClock {
    private struct Sleeper {
        let id: UInt64
        let deadline: Date
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Date
        var sleepers: [Sleeper] = []
        var nextID: UInt64 = 0
        /// Sleeps cancelled before they were registered.
        var cancelledEarly: Set<UInt64> = []
    }

    private let state: Mutex<State>

    public init(now: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        state = Mutex(State(now: now))
    }

    public var now: Date { state.withLock { $0.now } }

    /// How many sleepers are waiting now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func sleep(until deadline: Date) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Bool, CancellationError> in
                    if state.cancelledEarly.remove(id) != nil { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(true) }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return .success(false)
                }
                switch outcome {
                case .success(true): continuation.resume()
                case .success(false): break
                case .failure(let error): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            let cancelled = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else {
                    state.cancelledEarly.insert(id)
                    return nil
                }
                return state.sleepers.remove(at: index)
            }
            cancelled?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the time forward and wakes every sleeper whose deadline has come, earliest first.
    public func advance(by duration: Duration) {
        advance(to: now.addingTimeInterval(duration.seconds))
    }

    public func advance(to time: Date) {
        let woken = state.withLock { state -> [Sleeper] in
            state.now = max(state.now, time)
            let due = state.sleepers.filter { $0.deadline <= state.now }.sorted { $0.deadline < $1.deadline }
            state.sleepers.removeAll { $0.deadline <= state.now }
            return due
        }
        for sleeper in woken { sleeper.continuation.resume() }
    }

    /// Returns once at least `count` sleepers wait (the code under test has reached its sleep), polling
    /// briefly in real time; throws after `limit` so a test that expected a sleep fails instead of hanging.
    public func waitForSleepers(_ count: Int = 1, limit: Duration = .seconds(30)) async throws {
        let start = ContinuousClock.now
        while sleeperCount < count {
            guard ContinuousClock.now - start < limit else {
                throw ManualClockError("expected \(count) sleeper(s), found \(sleeperCount) after \(limit)")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}

public struct ManualClockError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The real clock seen from another time: real sleeps, a shifted "now" (for schedules due at odd hours).
public struct ShiftedClock: HostClock {
    public let offset: TimeInterval
    public init(offset: TimeInterval) { self.offset = offset }

    public var now: Date { Date().addingTimeInterval(offset) }

    public func sleep(until deadline: Date) async throws {
        try await SystemClock().sleep(until: deadline.addingTimeInterval(-offset))
    }
}
