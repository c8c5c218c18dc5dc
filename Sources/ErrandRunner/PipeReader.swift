import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads the daemon's end of a run's output pipe without holding a thread: a Dispatch read source wakes
/// a waiting reader when there is data. Unlike swift-subprocess's output sequences, it goes on reading
/// after the run's leader exits, so what a background child prints later is kept until the pipe closes
/// (every writer gone) or the launcher ``close()``s it at the end of the drain period.
///
/// Every use of the descriptor happens on one serial queue, so a close can never race a read (and a
/// reused descriptor number is never read by mistake). One read at a time: backpressure as a pipe has.
final class PipeReader: @unchecked Sendable {
    private let descriptor: Int32
    private let queue = DispatchQueue(label: "errand.pipe-reader")
    private let source: any DispatchSourceRead
    // State below: only touched on `queue`.
    private var waiter: CheckedContinuation<[UInt8]?, Never>?
    private var sourceSuspended = false
    private var closed = false

    static let readSize = 64 * 1024

    /// Takes ownership of `descriptor` (made non-blocking here; closed by ``close()`` or at end of file).
    init(descriptor: Int32) {
        self.descriptor = descriptor
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: queue)
        // A strong reference on purpose: the source keeps its reader until it is cancelled (then the
        // handlers are released), so the reader cannot go away while its source is suspended.
        source.setEventHandler { self.readable() }
        source.setCancelHandler { [descriptor] in _ = Glibc.close(descriptor) }
        queue.sync {
            source.activate()
            // Nobody waits yet: the source sleeps until `next()` needs it.
            source.suspend()
            sourceSuspended = true
        }
    }

    /// The next bytes written to the pipe, or nil at end of file (or once closed).
    func next() async -> [UInt8]? {
        await withCheckedContinuation { continuation in
            queue.async {
                if let bytes = self.attempt() {
                    continuation.resume(returning: bytes.isEmpty ? nil : bytes)
                } else {
                    self.waiter = continuation
                    if self.sourceSuspended {
                        self.sourceSuspended = false
                        self.source.resume()
                    }
                }
            }
        }
    }

    /// Stops reading: a waiting `next()` returns nil and the descriptor is closed. Safe to call twice.
    func close() {
        queue.async { self.finish() }
    }

    /// On `queue`: data (non-empty), end of file or closed (empty), or nil when nothing is there yet.
    private func attempt() -> [UInt8]? {
        if closed { return [] }
        var buffer = [UInt8](repeating: 0, count: Self.readSize)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, Self.readSize) }
            if count > 0 { return Array(buffer[0..<count]) }
            if count == 0 {
                finish()
                return []
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return nil
            default:
                finish()
                return []
            }
        }
    }

    /// On `queue`: the source fired.
    private func readable() {
        guard let waiter else {
            pause()
            return
        }
        self.waiter = nil  // taken first: an end of file in `attempt` must not resume it a second time
        guard let bytes = attempt() else {
            self.waiter = waiter  // spurious wake-up: keep waiting
            return
        }
        pause()
        waiter.resume(returning: bytes.isEmpty ? nil : bytes)
    }

    private func pause() {
        guard !sourceSuspended, !closed else { return }
        source.suspend()
        sourceSuspended = true
    }

    /// On `queue`: cancels the source (a suspended source must be resumed first: libdispatch aborts on
    /// releasing a suspended source, and runs the cancel handler that closes the descriptor only once resumed).
    private func finish() {
        guard !closed else { return }
        closed = true
        if sourceSuspended {
            sourceSuspended = false
            source.resume()
        }
        source.cancel()
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: nil)
        }
    }
}
