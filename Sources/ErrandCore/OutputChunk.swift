import Foundation

/// Which stream of a run a chunk came from (named so as not to clash with Foundation.OutputStream) (PowerShell's Output and Error streams).
public enum OutputChannel: String, Codable, Sendable, CaseIterable {
    /// Standard output.
    case output
    /// Standard error.
    case error
}

/// Consecutive bytes of one stream of one run: the unit of durable output. A run's chunks are
/// numbered 1, 2, 3… in the order the daemon received them; receive cursors are positions in
/// that sequence. Storing chunks rather than lines keeps capture fast; lines are split on reading.
public struct OutputChunk: Sendable, Equatable {
    public var seq: Int64
    public var time: Date
    public var stream: OutputChannel
    public var bytes: [UInt8]
    /// The child's host, in a fan-out parent's output (its children's, labelled); nil in any run's own output.
    public var host: String?

    public init(seq: Int64, time: Date, stream: OutputChannel, bytes: [UInt8], host: String? = nil) {
        self.seq = seq
        self.time = time
        self.stream = stream
        self.bytes = bytes
        self.host = host
    }
}

/// A line of output (or the unterminated tail of a chunk), as `receive --json` prints it.
public struct OutputLine: Codable, Sendable, Equatable {
    public var seq: Int64
    public var time: Date
    public var stream: OutputChannel
    public var text: String
    /// The host the line came from, in a fan-out parent's output.
    public var host: String?

    public init(seq: Int64, time: Date, stream: OutputChannel, text: String, host: String? = nil) {
        self.seq = seq
        self.time = time
        self.stream = stream
        self.text = text
        self.host = host
    }
}

extension OutputChunk {
    /// Splits the chunk into lines without their newline; invalid UTF-8 is replaced, never fatal.
    public var lines: [OutputLine] {
        var result: [OutputLine] = []
        var slice = bytes[...]
        while !slice.isEmpty {
            let end = slice.firstIndex(of: UInt8(ascii: "\n")) ?? slice.endIndex
            result.append(
                OutputLine(seq: seq, time: time, stream: stream, text: String(decoding: slice[..<end], as: UTF8.self), host: host))
            slice = end == slice.endIndex ? slice[end...] : slice[(end + 1)...]
        }
        return result
    }
}
