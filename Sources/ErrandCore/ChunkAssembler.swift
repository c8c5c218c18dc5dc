import Foundation

/// Turns the bytes read from a run's pipes into numbered chunks. Pure: the caller feeds bytes and
/// the time, and decides when to flush; no I/O happens here.
///
/// A chunk holds bytes of one stream only, so a switch of stream closes the open chunk and the
/// order across stdout and stderr is the order of arrival. A chunk is also closed when it reaches
/// `maxChunkBytes`, at the last newline when there is one, so chunks mostly hold whole lines.
public struct ChunkAssembler: Sendable {
    public let maxChunkBytes: Int
    public private(set) var lastSeq: Int64
    private var open: (stream: OutputChannel, time: Date, bytes: [UInt8])?
    private var sealed: [OutputChunk] = []
    /// Bytes held in sealed chunks not yet taken.
    public private(set) var sealedBytes = 0

    public init(maxChunkBytes: Int = 64 * 1024, lastSeq: Int64 = 0) {
        precondition(maxChunkBytes > 0)
        self.maxChunkBytes = maxChunkBytes
        self.lastSeq = lastSeq
    }

    /// True when nothing waits to be taken, open or sealed.
    public var isEmpty: Bool { open == nil && sealed.isEmpty }

    public mutating func append(_ bytes: some Collection<UInt8>, stream: OutputChannel, at time: Date) {
        guard !bytes.isEmpty else { return }
        if let current = open, current.stream != stream { seal() }
        if open == nil { open = (stream, time, []) }
        open!.bytes.append(contentsOf: bytes)
        while let current = open, current.bytes.count >= maxChunkBytes {
            let window = current.bytes[..<maxChunkBytes]
            let cut = window.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? maxChunkBytes
            let rest = Array(current.bytes[cut...])
            open!.bytes.removeSubrange(cut...)
            seal()
            if !rest.isEmpty { open = (stream, time, rest) }
        }
    }

    /// Closes the open chunk and returns every chunk not yet taken, in order.
    public mutating func takeAll() -> [OutputChunk] {
        seal()
        return takeSealed()
    }

    /// What a periodic flush takes: the closed chunks, and the open chunk up to its last newline;
    /// an unterminated tail stays open for the rest of its line unless it has waited `linger`
    /// (a prompt, a progress dot), so lines are rarely cut yet nothing waits long.
    public mutating func takeForFlush(now: Date, linger: TimeInterval) -> [OutputChunk] {
        if let current = open {
            if let newline = current.bytes.lastIndex(of: UInt8(ascii: "\n")) {
                let rest = Array(current.bytes[(newline + 1)...])
                open!.bytes.removeSubrange((newline + 1)...)
                seal()
                if !rest.isEmpty { open = (current.stream, now, rest) }
            } else if now.timeIntervalSince(current.time) >= linger {
                seal()
            }
        }
        return takeSealed()
    }

    /// Returns the chunks already closed, leaving a partly filled chunk open for more bytes.
    public mutating func takeSealed() -> [OutputChunk] {
        defer {
            sealed.removeAll(keepingCapacity: true)
            sealedBytes = 0
        }
        return sealed
    }

    private mutating func seal() {
        guard let current = open else { return }
        open = nil
        guard !current.bytes.isEmpty else { return }
        lastSeq += 1
        sealed.append(OutputChunk(seq: lastSeq, time: current.time, stream: current.stream, bytes: current.bytes))
        sealedBytes += current.bytes.count
    }
}
