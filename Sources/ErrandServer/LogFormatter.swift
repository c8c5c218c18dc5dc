import ErrandCore
import Foundation
import NIOCore

/// Writes chunks as a plain log: the bytes as they were, or with each line prefixed by its
/// chunk's time. Keeps track of line starts across chunks.
struct LogFormatter {
    let timestamps: Bool
    private var atLineStart = true

    init(timestamps: Bool) { self.timestamps = timestamps }

    mutating func append(_ chunk: OutputChunk, to buffer: inout ByteBuffer) {
        guard timestamps else {
            buffer.writeBytes(chunk.bytes)
            return
        }
        let stamp = Array((chunk.time.formatted(.iso8601WithMilliseconds) + " ").utf8)
        for byte in chunk.bytes {
            if atLineStart { buffer.writeBytes(stamp) }
            buffer.writeInteger(byte)
            atLineStart = byte == UInt8(ascii: "\n")
        }
    }
}
