import NIOCore
import NIOPosix

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
final class PipeReader: Sendable {
    private let pipe: NIOAsyncChannel<ByteBuffer, Never>

    /// Largest single read.
    static let readSize = 64 * 1024

    /// The event loop every pipe is read on: its own thread, so a busy or blocked loop elsewhere in the process
    /// (HTTP connections, the database pool, a test that waits on a loop) never holds up a run's output.
    static let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    private init(pipe: NIOAsyncChannel<ByteBuffer, Never>) { self.pipe = pipe }

    /// Takes ownership of `descriptor`: NIO closes it at end of file or on ``close()``; if this throws,
    /// the descriptor has been closed here.
    static func open(descriptor: Int32) async throws -> PipeReader {
        do {
            let pipe = try await NIOPipeBootstrap(group: eventLoops)
                .channelOption(
                    .recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 4096, maximum: readSize)
                )
                .takingOwnershipOfDescriptor(input: descriptor) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, Never>(wrappingChannelSynchronously: channel)
                    }
                }
            return PipeReader(pipe: pipe)
        } catch {
            _ = Glibc.close(descriptor)  // a failed bootstrap leaves the descriptor ours
            throw error
        }
    }

    /// Hands every read to `body`, in order, until end of file or ``close()``.
    func readAll(_ body: ([UInt8]) async -> Void) async {
        try? await pipe.executeThenClose { inbound in
            for try await buffer in inbound {
                await body(Array(buffer.readableBytesView))
            }
        }
    }

    /// Stops reading: ``readAll(_:)`` returns and the descriptor is closed. Safe to call twice.
    func close() {
        pipe.channel.close(promise: nil)
    }
}
