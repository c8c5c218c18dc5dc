import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Reads the daemon's end of a run's output pipe on SwiftNIO's event loops, without holding a thread.
/// Unlike swift-subprocess's output sequences, it goes on reading after the run's leader exits, so what
/// a background child prints later is kept until the pipe closes (every writer gone) or the launcher
/// ``close()``s it at the end of the drain period.
///
/// Why NIO and not a Dispatch read source: under load (hundreds of runs a second while other threads
/// open and close files), libdispatch's epoll loop on Linux crashed the daemon with a stale event
/// (`_dispatch_event_loop_drain`, reproduced by the schedules benchmark). NIO's selector owns the
/// descriptor from registration to close, and its channel gives backpressure: one read is delivered
/// at a time, and the next is not made until the reader asks.
///
/// Making a reader does no I/O (the launcher makes them while it holds the spawn gate); the pipe is
/// registered with NIO when ``readAll(_:)`` starts.
final class PipeReader: Sendable {
    private enum State {
        case waiting(descriptor: Int32)
        /// Being handed to NIO: from here NIO closes the descriptor, never this reader.
        case registering
        case reading(NIOAsyncChannel<ByteBuffer, Never>)
        case closed
    }

    private let state: Mutex<State>

    /// Largest single read.
    static let readSize = 64 * 1024

    /// The event loop every pipe is read on: its own thread, so a busy or blocked loop elsewhere in the process
    /// (HTTP connections, the database pool, a test that waits on a loop) never holds up a run's output.
    static let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// Takes ownership of `descriptor`: it is closed at end of file, on ``close()``, or when registering fails.
    init(descriptor: Int32) {
        state = Mutex(.waiting(descriptor: descriptor))
    }

    /// Hands every read to `body`, in order, until end of file or ``close()``.
    func readAll(_ body: ([UInt8]) async -> Void) async {
        let waiting = state.withLock { state -> Int32? in
            guard case .waiting(let descriptor) = state else { return nil }
            state = .registering
            return descriptor
        }
        guard let descriptor = waiting else { return }
        let pipe: NIOAsyncChannel<ByteBuffer, Never>
        do {
            pipe = try await NIOPipeBootstrap(group: Self.eventLoops)
                .channelOption(
                    .recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 4096, maximum: Self.readSize)
                )
                .takingOwnershipOfDescriptor(input: descriptor) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, Never>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            _ = Glibc.close(descriptor)  // a failed bootstrap leaves the descriptor ours
            state.withLock { $0 = .closed }
            return
        }
        let closedMeanwhile = state.withLock { state -> Bool in
            if case .closed = state { return true }
            state = .reading(pipe)
            return false
        }
        if closedMeanwhile { pipe.channel.close(promise: nil) }
        try? await pipe.executeThenClose { inbound in
            for try await buffer in inbound {
                await body(Array(buffer.readableBytesView))
            }
        }
    }

    /// Stops reading: ``readAll(_:)`` returns and the descriptor is closed. Safe to call twice, and before
    /// reading started (the descriptor is then closed here, or as soon as its registration completes).
    func close() {
        let previous = state.withLock { state -> State in
            defer { state = .closed }
            return state
        }
        switch previous {
        case .waiting(let descriptor): _ = Glibc.close(descriptor)
        case .reading(let pipe): pipe.channel.close(promise: nil)
        case .registering, .closed: break  // readAll closes the channel once it is registered
        }
    }
}
