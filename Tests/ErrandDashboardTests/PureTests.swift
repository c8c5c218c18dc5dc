import ErrandCore
import Foundation
import Testing

@testable import ErrandDashboard

@Suite("Dashboard pieces without I/O")
struct PureTests {
    static let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    static func chunk(_ seq: Int64, _ stream: OutputChannel, _ text: String) -> OutputChunk {
        OutputChunk(seq: seq, time: t0, stream: stream, bytes: Array(text.utf8))
    }

    @Test(
        "chunks become lines; an unterminated line continues in the next chunk of its stream",
        arguments: [
            (["o:a\nb\n"], ["o:a", "o:b"]),
            (["o:par", "o:tial\n"], ["o:partial"]),
            (["o:out", "e:err\n", "o:more\n"], ["o:out", "e:err", "o:more"]),
            (["o:a\n\nb\n"], ["o:a", "o:", "o:b"]),
            (["o:\n"], ["o:"]),
            (["o:x", "o:\n", "o:\n"], ["o:x", "o:"]),
            (["o:no newline at end"], ["o:no newline at end"]),
        ])
    func lines(chunks: [String], expected: [String]) {
        var assembler = OutputLines()
        for (index, text) in chunks.enumerated() {
            let stream: OutputChannel = text.hasPrefix("e:") ? .error : .output
            assembler.append(Self.chunk(Int64(index + 1), stream, String(text.dropFirst(2))))
        }
        #expect(assembler.lines.map { ($0.stream == .error ? "e:" : "o:") + $0.text } == expected)
    }

    @Test("a fan-out's lines carry their host, and another host's chunk never continues a line")
    func hostLines() {
        var assembler = OutputLines()
        for (index, (host, text)) in [("a", "one\nhal"), ("b", "other\n"), ("a", "f\n")].enumerated() {
            var chunk = Self.chunk(Int64(index + 1), .output, text)
            chunk.host = host
            assembler.append(chunk)
        }
        #expect(assembler.lines.map(\.text) == ["[a] one", "[a] hal", "[b] other", "[a] f"])
    }

    @Test("form bodies decode like browsers encode them")
    func forms() {
        let form = FormBody("csrf=abc&arg=hello+world&arg=a%26b%3Dc&empty=&flag")
        #expect(form["csrf"] == "abc")
        #expect(form.all("arg") == ["hello world", "a&b=c"])
        #expect(form["empty"] == "")
        #expect(form["flag"] == "")
        #expect(form["missing"] == nil)
    }

    @Test("the CSRF guard wants the token in both the cookie and the field")
    func csrf() {
        let guardian = CSRFGuard(token: "t0k3n")
        #expect(guardian.accepts(cookie: "t0k3n", field: "t0k3n"))
        #expect(!guardian.accepts(cookie: nil, field: "t0k3n"))
        #expect(!guardian.accepts(cookie: "t0k3n", field: nil))
        #expect(!guardian.accepts(cookie: "other", field: "other"))
        #expect(!guardian.accepts(cookie: "t0k3n", field: "t0k3"))
        #expect(CSRFGuard.randomToken().count == 64)
        #expect(CSRFGuard.randomToken() != CSRFGuard.randomToken())
    }

    @Test(
        "durations in the largest units that matter",
        arguments: [
            (0.123, "0.12 s"), (12.34, "12.3 s"), (60, "1 min"), (185, "3 min 5 s"), (3600, "1 h"), (7380, "2 h 3 min"),
            (90000, "1 d 1 h"), (-1, "0.00 s"),
        ])
    func durations(seconds: Double, text: String) {
        #expect(TimeText.duration(seconds) == text)
    }

    @Test("clock times are UTC; relative times read naturally")
    func times() {
        #expect(TimeText.clock(Self.t0) == "2026-09-21 14:13:20")
        #expect(TimeText.relative(Self.t0.addingTimeInterval(-300), now: Self.t0) == "5 min ago")
        #expect(TimeText.relative(Self.t0.addingTimeInterval(7200), now: Self.t0) == "in 2 h")
        #expect(TimeText.relative(Self.t0, now: Self.t0) == "just now")
    }

    @Test("only local paths are followed back after a form", arguments: ["//evil.example/x", "https://evil.example", "runs", "/\\evil"])
    func localOnly(path: String) {
        #expect(Dashboard.local(path) == nil)
        #expect(Dashboard.local("/runs?state=Running") == "/runs?state=Running")
    }
}
