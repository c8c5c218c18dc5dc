import ErrandCore
import Foundation

/// One line of a run's output as the run page shows it.
struct DisplayLine: Sendable, Equatable {
    var seq: Int64
    var stream: OutputChannel
    var time: Date
    var text: String
}

/// Turns chunks into display lines. A chunk that ends without a newline leaves its last line
/// open, and the next chunk of the same stream continues it (chunks are cut at 64 KiB, not at
/// line ends). The live tail in dashboard.js follows the same rule, so a reload shows the same
/// lines. Pure.
struct OutputLines: Sendable {
    private(set) var lines: [DisplayLine] = []
    /// The stream whose last line is still open.
    private var openStream: OutputChannel?

    mutating func append(_ chunk: OutputChunk) {
        let text = String(decoding: chunk.bytes, as: UTF8.self)
        var pieces = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let endsLine = pieces.last == ""
        if endsLine { pieces.removeLast() }
        guard !pieces.isEmpty else {
            // Only "\n": it closes the open line of its stream (or is an empty line).
            if openStream == chunk.stream { openStream = nil } else { add("", chunk) }
            return
        }
        var rest = pieces[...]
        if openStream == chunk.stream, let first = rest.first, !lines.isEmpty {
            lines[lines.count - 1].text += first
            rest = rest.dropFirst()
        }
        for piece in rest { add(piece, chunk) }
        openStream = endsLine ? nil : chunk.stream
    }

    private mutating func add(_ text: String, _ chunk: OutputChunk) {
        lines.append(DisplayLine(seq: chunk.seq, stream: chunk.stream, time: chunk.time, text: text))
    }
}
