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
/// line ends). In a fan-out's merged output each line starts with its `[host]`, and only a chunk
/// of the same host continues a line. The live tail in dashboard.js follows the same rules, so a
/// reload shows the same lines. Pure.
struct OutputLines: Sendable {
    private(set) var lines: [DisplayLine] = []
    /// The stream (and host) whose last line is still open.
    private var openStream: OutputChannel?
    private var openHost: String?

    mutating func append(_ chunk: OutputChunk) {
        let text = String(decoding: chunk.bytes, as: UTF8.self)
        var pieces = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let endsLine = pieces.last == ""
        if endsLine { pieces.removeLast() }
        guard !pieces.isEmpty else {
            // Only "\n": it closes the open line of its stream (or is an empty line).
            if continues(chunk) { openStream = nil } else { add("", chunk) }
            return
        }
        var rest = pieces[...]
        if continues(chunk), let first = rest.first, !lines.isEmpty {
            lines[lines.count - 1].text += first
            rest = rest.dropFirst()
        }
        for piece in rest { add(piece, chunk) }
        openStream = endsLine ? nil : chunk.stream
        openHost = chunk.host
    }

    private func continues(_ chunk: OutputChunk) -> Bool {
        openStream == chunk.stream && openHost == chunk.host
    }

    private mutating func add(_ text: String, _ chunk: OutputChunk) {
        let label = chunk.host.map { "[\($0)] " } ?? ""
        lines.append(DisplayLine(seq: chunk.seq, stream: chunk.stream, time: chunk.time, text: label + text))
    }
}
