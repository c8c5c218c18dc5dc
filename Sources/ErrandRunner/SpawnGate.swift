import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Lets one spawn through at a time, and only when file descriptors are to spare. A spawn takes
/// several descriptors (pipes, the working directory, a pidfd); when one of them cannot be opened
/// halfway, swift-subprocess aborts the whole process ("FileDescriptor … was not closed"). Checking
/// the headroom just before each spawn, with no other spawn in between, turns exhaustion into a
/// refused run instead of a dead daemon.
final class SpawnGate: Sendable {
    static let shared = SpawnGate()

    /// Descriptors that must be free before a spawn: what it takes, with room for the daemon's own
    /// (connections, store) meanwhile.
    static let headroom = 16

    private let state = Mutex<(busy: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    /// Waits for the gate; every `enter` is followed by exactly one `leave`.
    func enter() async {
        await withCheckedContinuation { continuation in
            let admitted = state.withLock { state in
                if state.busy {
                    state.waiters.append(continuation)
                    return false
                }
                state.busy = true
                return true
            }
            if admitted { continuation.resume() }
        }
    }

    func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.busy = false
                return nil
            }
            return state.waiters.removeFirst()  // the gate passes on, still busy
        }
        next?.resume()
    }

    /// True when `count` more descriptors can be opened now (they are opened and closed again).
    static func descriptorsFree(_ count: Int = headroom) -> Bool {
        var opened: [Int32] = []
        defer { for descriptor in opened { close(descriptor) } }
        let base = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard base >= 0 else { return false }
        opened.append(base)
        for _ in 1..<count {
            let copy = fcntl(base, F_DUPFD_CLOEXEC, 0)
            guard copy >= 0 else { return false }
            opened.append(copy)
        }
        return true
    }
}
