import ErrandCore
import Foundation
import Testing

@Suite("Output chunks, lines and cursors")
struct OutputTests {
    let t0 = Date(timeIntervalSince1970: 1_000_000)

    @Test("a switch of stream closes the chunk; order across streams is arrival order")
    func streamSwitch() {
        var assembler = ChunkAssembler(maxChunkBytes: 1024)
        assembler.append(Array("out1\n".utf8), stream: .output, at: t0)
        assembler.append(Array("out2\n".utf8), stream: .output, at: t0)
        assembler.append(Array("err\n".utf8), stream: .error, at: t0)
        assembler.append(Array("out3\n".utf8), stream: .output, at: t0)
        let chunks = assembler.takeAll()
        #expect(chunks.map(\.seq) == [1, 2, 3])
        #expect(chunks.map(\.stream) == [.output, .error, .output])
        #expect(chunks.map { String(decoding: $0.bytes, as: UTF8.self) } == ["out1\nout2\n", "err\n", "out3\n"])
    }

    @Test("full chunks are cut at the last newline, and a line longer than a chunk is split")
    func sizeCuts() {
        var assembler = ChunkAssembler(maxChunkBytes: 8)
        assembler.append(Array("abc\ndefgh\n".utf8), stream: .output, at: t0)
        assembler.append(Array("0123456789ABCDEF!".utf8), stream: .output, at: t0)
        let chunks = assembler.takeAll()
        let texts = chunks.map { String(decoding: $0.bytes, as: UTF8.self) }
        #expect(texts.joined() == "abc\ndefgh\n0123456789ABCDEF!")
        #expect(texts.first == "abc\n")
        #expect(chunks.allSatisfy { $0.bytes.count <= 8 })
        #expect(chunks.map(\.seq) == Array(1...Int64(chunks.count)))
    }

    @Test("a periodic flush keeps an unterminated tail open until it has lingered")
    func flushKeepsTail() {
        var assembler = ChunkAssembler(maxChunkBytes: 1024)
        assembler.append(Array("line\npart".utf8), stream: .output, at: t0)
        let first = assembler.takeForFlush(now: t0.addingTimeInterval(0.01), linger: 0.2)
        #expect(first.map { String(decoding: $0.bytes, as: UTF8.self) } == ["line\n"])
        #expect(assembler.takeForFlush(now: t0.addingTimeInterval(0.05), linger: 0.2).isEmpty)
        let late = assembler.takeForFlush(now: t0.addingTimeInterval(1), linger: 0.2)
        #expect(late.map { String(decoding: $0.bytes, as: UTF8.self) } == ["part"])
        #expect(assembler.isEmpty)
    }

    @Test("numbering continues from the last stored chunk")
    func continuesNumbering() {
        var assembler = ChunkAssembler(maxChunkBytes: 16, lastSeq: 41)
        assembler.append([1, 2, 3], stream: .error, at: t0)
        #expect(assembler.takeAll().map(\.seq) == [42])
    }

    @Test("binary bytes survive, and lines decode lossily without crashing")
    func binary() {
        let bytes: [UInt8] = [0xff, 0xfe, 0x0a, 0x00, 0x41]
        var assembler = ChunkAssembler()
        assembler.append(bytes, stream: .output, at: t0)
        let chunk = assembler.takeAll()[0]
        #expect(chunk.bytes == bytes)
        #expect(chunk.lines.count == 2)
        #expect(chunk.lines[1].text == "\u{0}A")
        let wire = WireChunk(chunk)
        #expect(wire.text == nil)
        #expect(wire.chunk.bytes == bytes)
    }

    @Test("lines of a chunk drop their newlines")
    func lines() {
        let chunk = OutputChunk(seq: 7, time: t0, stream: .error, bytes: Array("a\n\nb".utf8))
        #expect(chunk.lines.map(\.text) == ["a", "", "b"])
        #expect(chunk.lines.allSatisfy { $0.seq == 7 && $0.stream == .error })
    }

    @Test(
        "HasMoreData: true while running or while unreceived output exists",
        arguments: [
            (RunState.running, Int64(0), Int64(0), true), (.completed, 5, 5, false), (.completed, 5, 3, true),
            (.failed, 0, 0, false), (.notStarted, 0, 0, true), (.stopped, 2, 0, true),
        ])
    func hasMoreData(state: RunState, lastSeq: Int64, cursor: Int64, expected: Bool) {
        #expect(Receiving.hasMoreData(state: state, lastSeq: lastSeq, cursor: cursor) == expected)
    }

    @Test("a consuming read advances the cursor; a kept read does not; an empty read changes nothing")
    func cursorAdvance() {
        let chunks = [
            OutputChunk(seq: 4, time: t0, stream: .output, bytes: [1]), OutputChunk(seq: 5, time: t0, stream: .output, bytes: [2]),
        ]
        #expect(Receiving.advance(cursor: 3, past: chunks, keep: false) == 5)
        #expect(Receiving.advance(cursor: 3, past: chunks, keep: true) == 3)
        #expect(Receiving.advance(cursor: 3, past: [], keep: false) == 3)
    }
}
