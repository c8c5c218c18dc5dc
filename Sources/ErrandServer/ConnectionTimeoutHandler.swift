import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client keeps the daemon waiting: a head not complete in time, a body that
/// stopped arriving, a kept-alive connection left idle (``ConnectionDeadlines`` decides which and when).
///
/// It sits after the HTTP decoder, so it sees request parts; `channelReadComplete` still reaches it for
/// every read from the socket, which is how it knows that part of a head arrived before the head is whole.
final class ConnectionTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limits: ConnectionLimits
    private var deadlines: ConnectionDeadlines?
    /// The one timer, and when it fires. It may fire early (the deadline moved on): then it is set again.
    private var timer: (task: Scheduled<Void>, at: NIODeadline)?

    init(limits: ConnectionLimits) {
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopTimer()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopTimer()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = NIODeadline.now()
        switch unwrapInboundIn(data) {
        case .head: deadlines?.headReceived(at: now)
        case .body: deadlines?.bodyReceived(at: now)
        case .end: deadlines?.endReceived()
        }
        arm(context)
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        deadlines?.bytesArrived(at: .now())
        arm(context)
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        deadlines?.readRequested(at: .now())
        arm(context)
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            deadlines?.responseEnded(at: .now())
            arm(context)
        }
        context.write(data, promise: promise)
    }

    private func start(_ context: ChannelHandlerContext) {
        guard deadlines == nil else { return }
        deadlines = ConnectionDeadlines(
            headerTimeout: TimeAmount(limits.headerTimeout), bodyTimeout: TimeAmount(limits.bodyTimeout),
            keepAliveTimeout: TimeAmount(limits.keepAliveTimeout), connectedAt: .now())
        arm(context)
    }

    /// Makes sure a timer fires no later than the current deadline (a later one is left to fire and re-arm).
    private func arm(_ context: ChannelHandlerContext) {
        guard let deadline = deadlines?.waiting?.deadline else { return }
        if let timer {
            guard timer.at > deadline else { return }
            timer.task.cancel()
        }
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            if deadlines?.expired(at: .now()) != nil {
                context.close(promise: nil)
            } else {
                arm(context)
            }
        }
        timer = (task, deadline)
    }

    private func stopTimer() {
        timer?.task.cancel()
        timer = nil
    }
}
