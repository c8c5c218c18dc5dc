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

    /// Quoting as a user would: single quotes (a `'` inside written `'\''`), or double quotes with `\` before
    /// `"`, `\`, `$` and `` ` ``.
    static func quote(_ word: String, double: Bool) -> String {
        // Scalar by scalar: a quote followed by a combining mark is one Character, which Character-based
        // replacing would miss.
        var out = String.UnicodeScalarView()
        out.append(double ? "\"" : "'")
        for scalar in word.unicodeScalars {
            if !double && scalar == "'" {
                out.append(contentsOf: #"'\''"#.unicodeScalars)
                continue
            }
            if double && ["\"", "\\", "$", "`"].contains(scalar) { out.append("\\") }
            out.append(scalar)
        }
        out.append(double ? "\"" : "'")
        return String(out)
    }

    @Test func splitterNeverTraps() async {
        await propertyCheck(count: 3000, input: Self.text) { text in
            do throws(CommandLineWords.SyntaxError) {
                let words = try CommandLineWords.split(text)
                #expect(
                    words.allSatisfy { !$0.unicodeScalars.contains { [" ", "\t", "\n"].contains($0) } } || text.contains("'")
                        || text.contains("\"") || text.contains("\\"))
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
    }

    @Test func splitterRoundTripsQuotedWords() async {
        await propertyCheck(count: 3000, input: Self.words, Gen.bool) { words, double in
            let line = words.map { Self.quote($0, double: double) }.joined(separator: " ")
            let split = try? CommandLineWords.split(line)
            #expect(split == words, "\(line.debugDescription)")
        }
    }

    /// A quote followed by a combining mark is one Character but still a quote (the splitter once read it as
    /// a letter and refused the line).
    @Test func aQuoteBeforeACombiningMarkIsAQuote() throws {
        #expect(try CommandLineWords.split("'\u{301}x' y") == ["\u{301}x", "y"])
        #expect(try CommandLineWords.split("\"\u{301}\" \\\u{301}") == ["\u{301}", "\u{301}"])
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
