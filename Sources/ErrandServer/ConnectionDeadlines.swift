import NIOCore

/// When a connection has waited too long for its client: a pure state machine fed with what happens on the
/// connection (bytes, request parts, response ends, the server asking for more) and the time it happened.
/// ``ConnectionTimeoutHandler`` feeds it and closes the connection when ``expired(at:)`` says so.
///
/// Only the client is timed. While the daemon works on a response (a long poll, an event stream, a log
/// download) no clock runs; and a body is timed only while the daemon asks for more of it, so a route that
/// is slow to read its upload never blames the client.
struct ConnectionDeadlines: Sendable {
    /// Which wait runs out.
    enum Wait: String, Sendable, Equatable {
        /// The request head is not complete.
        case head
        /// The body has stopped arriving.
        case body
        /// Nothing was asked on a kept-alive connection.
        case keepAlive
    }

    let headerTimeout: TimeAmount
    let bodyTimeout: TimeAmount
    let keepAliveTimeout: TimeAmount

    /// Requests whose head arrived and whose response has not ended.
    private(set) var inFlight = 0
    /// A request head arrived and its end has not.
    private(set) var readingBody = false
    /// The daemon asked for more input and none has arrived since.
    private(set) var readPending = false
    /// What is being waited for, and until when; nil while only the daemon is working.
    private(set) var waiting: (wait: Wait, deadline: NIODeadline)?

    /// A new connection: its first head must be complete within the header timeout.
    init(headerTimeout: TimeAmount, bodyTimeout: TimeAmount, keepAliveTimeout: TimeAmount, connectedAt now: NIODeadline) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.keepAliveTimeout = keepAliveTimeout
        waiting = (.head, now + headerTimeout)
    }

    /// Bytes arrived (possibly only part of a head). On an idle kept-alive connection this starts the
    /// header timeout: the head that began must be complete within it, however slowly it trickles.
    mutating func bytesArrived(at now: NIODeadline) {
        readPending = false
        if readingBody {
            waiting = (.body, now + bodyTimeout)
        } else if waiting?.wait == .keepAlive {
            waiting = (.head, now + headerTimeout)
        }
    }

    /// The daemon asks for more input: the body's clock restarts from here if it had stopped.
    mutating func readRequested(at now: NIODeadline) {
        guard !readPending else { return }
        readPending = true
        if readingBody { waiting = (.body, now + bodyTimeout) }
    }

    mutating func headReceived(at now: NIODeadline) {
        inFlight += 1
        readingBody = true
        waiting = (.body, now + bodyTimeout)
    }

    mutating func bodyReceived(at now: NIODeadline) {
        if readingBody { waiting = (.body, now + bodyTimeout) }
    }

    /// The request is complete: the daemon works on the response, and no clock runs.
    mutating func endReceived() {
        readingBody = false
        waiting = nil
    }

    /// A response ended. With nothing else in flight the connection idles until the keep-alive timeout;
    /// a request still being read (answered early, say with 413) keeps its body clock.
    mutating func responseEnded(at now: NIODeadline) {
        inFlight = max(0, inFlight - 1)
        guard inFlight == 0, !readingBody else { return }
        waiting = (.keepAlive, now + keepAliveTimeout)
    }

    /// The wait that ran out at `now`, if one did. A body whose bytes the daemon has not asked for cannot
    /// run out: its clock starts again when the daemon asks.
    mutating func expired(at now: NIODeadline) -> Wait? {
        guard let waiting, waiting.deadline <= now else { return nil }
        if waiting.wait == .body, !readPending {
            self.waiting = (.body, now + bodyTimeout)
            return nil
        }
        return waiting.wait
    }
}
