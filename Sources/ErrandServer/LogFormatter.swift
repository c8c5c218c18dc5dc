import ErrandCore
import Foundation
import NIOCore

/// Writes chunks as a plain log into response buffers (``PlainLog`` decides the bytes).
struct LogFormatter {
    private var log: PlainLog

    init(timestamps: Bool) { log = PlainLog(timestamps: timestamps) }

    mutating func append(_ chunk: OutputChunk, to buffer: inout ByteBuffer) {
        buffer.writeBytes(log.render(chunk))
    }
}
