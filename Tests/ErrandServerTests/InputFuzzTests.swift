import ErrandCore
import ErrandTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PropertyBased
import Testing

@testable import ErrandServer

/// Bounded property-based tests of the two text parsers at the Kudu edge (issue 20): the argument splitter and
/// the Content-Disposition file name. Neither traps; the splitter gives back the words it was given quoted.
@Suite struct InputFuzzTests {
    /// Characters that matter to a shell splitter, and a few that matter to Unicode.
    static let pieces: [String] = [
        "a", "Z", "0", " ", "\t", "\n", "\r", "\r\n", "'", "\"", "\\", "$", "`", ";", "|", "&", "*", "~", "é", "e\u{301}",
        "\u{301}", "\u{200D}", "😀", "👩‍👩‍👧", "\u{0}", "\u{85}", "\u{A0}", "filename=", "/", "..", ".",
    ]

    static let text = Generator<String, Shrink.None<String>> { rng in
        (0..<Fuzz.int(0...16, &rng)).map { _ in Fuzz.pick(pieces, &rng) }.joined()
    }

    static let words = Generator<[String], Shrink.None<[String]>> { rng in
        (0..<Fuzz.int(0...5, &rng)).map { _ in (0..<Fuzz.int(0...6, &rng)).map { _ in Fuzz.pick(pieces, &rng) }.joined() }
    }

    /// Quoting by the splitter's rule (docs/kudu.md, "Arguments"): single quotes around a word that has no `'`
    /// before a blank; else double quotes, with `2n+1` backslashes before a `"` of the word and `2n` before the
    /// closing quote (a word ending in `n` backslashes).
    static func quote(_ word: String, double: Bool) -> String {
        // Scalar by scalar: a quote followed by a combining mark is one Character, which Character-based
        // replacing would miss.
        let scalars = Array(word.unicodeScalars)
        let singleQuotable = !scalars.indices.contains {
            scalars[$0] == "'" && $0 + 1 < scalars.count && CommandLineWords.isBlank(scalars[$0 + 1])
        }
        var out = String.UnicodeScalarView()
        if !double && singleQuotable {
            out.append("'")
            out.append(contentsOf: scalars)
            out.append("'")
            return String(out)
        }
        out.append("\"")
        var backslashes = 0
        for scalar in scalars {
            if scalar == "\\" {
                backslashes += 1
                continue
            }
            if scalar == "\"" {
                out.append(contentsOf: repeatElement("\\", count: backslashes * 2 + 1))
            } else {
                out.append(contentsOf: repeatElement("\\", count: backslashes))
            }
            backslashes = 0
            out.append(scalar)
        }
        out.append(contentsOf: repeatElement("\\", count: backslashes * 2))
        out.append("\"")
        return String(out)
    }

    /// Any string splits, without a trap and without an error: a word holds a blank only where the text quoted.
    @Test func splitterNeverTraps() async {
        await propertyCheck(count: 3000, input: Self.text) { text in
            let words = CommandLineWords.split(text)
            #expect(
                words.allSatisfy { !$0.unicodeScalars.contains(where: CommandLineWords.isBlank) } || text.contains("'")
                    || text.contains("\""))
        }
    }

    /// Without quotes, nothing is lost or changed: the words are the text cut at blanks, backslashes and all.
    @Test func unquotedTextArrivesAsWritten() async {
        await propertyCheck(count: 3000, input: Self.text) { text in
            guard !text.unicodeScalars.contains(where: { $0 == "'" || $0 == "\"" }) else { return }
            let expected = text.unicodeScalars.split(whereSeparator: CommandLineWords.isBlank).map { String(String.UnicodeScalarView($0)) }
            #expect(CommandLineWords.split(text) == expected, "\(text.debugDescription)")
        }
    }

    @Test func splitterRoundTripsQuotedWords() async {
        await propertyCheck(count: 3000, input: Self.words, Gen.bool) { words, double in
            let line = words.map { Self.quote($0, double: double) }.joined(separator: " ")
            let split = CommandLineWords.split(line)
            #expect(split == words, "\(line.debugDescription)")
        }
    }

    /// A quote followed by a combining mark is one Character but still a quote (the splitter once read it as
    /// a letter and refused the line).
    @Test func aQuoteBeforeACombiningMarkIsAQuote() throws {
        #expect(CommandLineWords.split("'\u{301}x' y") == ["\u{301}x", "y"])
        #expect(CommandLineWords.split("\"\u{301}\" \\\"\u{301}") == ["\u{301}", "\"\u{301}"])
    }

    /// A "/" or "\\" followed by a combining mark is one Character that is not "/": splitting by Characters left
    /// it, and the path it separates, in the file name.
    @Test func aSlashBeforeACombiningMarkStillSeparates() {
        #expect(PackageUpload.fileName(fromContentDisposition: "attachment; filename=\"../\u{301}x\"") == "\u{301}x")
        #expect(PackageUpload.fileName(fromContentDisposition: "attachment; filename=a\\\u{301}b") == "\u{301}b")
    }

    @Test func contentDispositionNamesAreOneSafeComponent() async {
        let header = Generator<String, Shrink.None<String>> { rng in
            let parts = [
                "attachment", "inline", "filename=", "filename=\"", "\"", ";", " ", "name=x", "FILENAME=", "run.sh", "a/b", "..\\c",
            ]
            return (0..<Fuzz.int(0...8, &rng)).map { _ in Fuzz.pick(parts + Self.pieces, &rng) }.joined()
        }
        await propertyCheck(count: 3000, input: header) { header in
            guard let name = PackageUpload.fileName(fromContentDisposition: header) else { return }
            #expect(!name.isEmpty && name != "." && name != "..", "\(header.debugDescription)")
            #expect(!name.contains("/") && !name.contains("\\"), "\(header.debugDescription)")
        }
    }

    /// A single-file upload named with 300 characters got a 500 (the file system refuses the name); it is a 400
    /// that says why.
    @Test func aLongSingleFileNameIsABadRequest() async throws {
        #expect(PackageUpload.fileNameProblem(String(repeating: "a", count: 255)) == nil)
        #expect(PackageUpload.fileNameProblem(String(repeating: "é", count: 128))?.contains("256 bytes") == true)
        try await APITests().withAPI { client in
            try await client.execute(
                uri: "/api/triggeredwebjobs/long", method: .put,
                headers: [
                    .contentType: "application/octet-stream",
                    .contentDisposition: "attachment; filename=\"\(String(repeating: "a", count: 300)).sh\"",
                ],
                body: ByteBuffer(string: "#!/bin/sh\necho hi\n")
            ) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("303 bytes long"))
            }
        }
    }
}
