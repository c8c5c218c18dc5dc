import Foundation

/// Renders chunks as plain text, as `errand logs`, `errand receive` and `GET …/log` print them: the
/// bytes as they were, with each line prefixed by its time when asked and by `[host] ` in a fan-out's
/// merged output. Line starts are tracked across chunks; a chunk from another host than the open
/// line's starts a line of its own. Pure.
public struct PlainLog: Sendable {
    public let timestamps: Bool
    private var atLineStart = true
    private var openHost: String?

    public init(timestamps: Bool = false) { self.timestamps = timestamps }

    public mutating func render(_ chunk: OutputChunk) -> [UInt8] {
        guard timestamps || chunk.host != nil else {
            if let last = chunk.bytes.last { atLineStart = last == UInt8(ascii: "\n") }
            openHost = nil
            return chunk.bytes
        }
        var out: [UInt8] = []
        out.reserveCapacity(chunk.bytes.count + 64)
        if !atLineStart && openHost != chunk.host {
            out.append(UInt8(ascii: "\n"))
            atLineStart = true
        }
        var prefix: [UInt8] = []
        if timestamps { prefix += Array((chunk.time.formatted(.iso8601WithMilliseconds) + " ").utf8) }
        if let host = chunk.host { prefix += Array("[\(host)] ".utf8) }
        for byte in chunk.bytes {
            if atLineStart { out += prefix }
            out.append(byte)
            atLineStart = byte == UInt8(ascii: "\n")
        }
        openHost = chunk.host
        return out
    }
}
