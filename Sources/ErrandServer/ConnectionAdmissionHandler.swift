import ErrandCore
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Admits a new connection when ``ConnectionGate`` has room for it, and counts it out when it closes.
/// A connection over a limit gets a 503 with the JSON error at once, without its request being read,
/// and is closed: its output at once, all of it a moment later, so that the client can read the answer
/// before the daemon drops what it sent (closing on unread input would reset the connection, and the
/// client would see a reset instead of the 503).
final class ConnectionAdmissionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    enum State {
        case new
        case admitted(address: String)
        case refused
        case closed
    }

    /// How long a refused connection may still send before it is closed.
    static let linger: TimeAmount = .seconds(1)

    private let gate: ConnectionGate
    private var state = State.new

    init(gate: ConnectionGate) {
        self.gate = gate
    }

    // The pipeline is set up before the connection is active, but a handler added later must not wait for
    // a `channelActive` that already went by.
    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { admit(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        admit(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
    }

    /// A refused connection's requests never reach the routes.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .refused = state { return }
        context.fireChannelRead(data)
    }

    private func admit(_ context: ChannelHandlerContext) {
        guard case .new = state else { return }
        let address = context.channel.remoteAddress?.ipAddress ?? "local"
        if let refusal = gate.admit(address) {
            state = .refused
            refuse(context, refusal)
        } else {
            state = .admitted(address: address)
        }
    }

    private func release() {
        if case .admitted(let address) = state { gate.release(address) }
        state = .closed
    }

    private func refuse(_ context: ChannelHandlerContext, _ error: ErrandError) {
        let body = (try? JSONCoding.encoder().encode(ErrorBody(error: error))) ?? Data()
        let head = HTTPResponse(
            status: .serviceUnavailable,
            headerFields: [
                .contentType: "application/json", .contentLength: String(body.count), .connection: "close", .retryAfter: "1",
            ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(mode: .output, promise: nil)
        }
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.linger) { context.close(promise: nil) }
    }
}
