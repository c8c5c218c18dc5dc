/// Splits one argument string into argv words with the quoting rules of a POSIX shell, and nothing else.
///
/// Kudu appends `?arguments=` raw to a command line that `cmd` or `bash` then parses (kudu.md §2.4), which is
/// where its quoting and injection bugs come from (kudu.md §7.9). Errand passes argv and never starts a shell,
/// so the string is split here instead, the way a user who typed it into a shell expects:
///
/// - blanks (space, tab, newline) separate words; runs of blanks count as one;
/// - `'single quotes'` keep everything up to the next `'` literally;
/// - `"double quotes"` keep everything literally except `\"`, `\\`, `\$`, `` \` `` and backslash-newline;
/// - a backslash outside quotes keeps the next character literally (backslash-newline joins lines);
/// - `''` and `""` make an empty word.
///
/// No `$` expansion, no command substitution, no globbing, no `~`, no operators: `;`, `|`, `&&`, `>` are
/// ordinary characters of a word. An unterminated quote or a trailing lone backslash is an error.
enum CommandLineWords {
    struct SyntaxError: Error, Equatable, CustomStringConvertible {
        let description: String
    }

    /// Works on Unicode scalars, as a shell works on bytes: as characters, a quote followed by a combining mark
    /// (`'\u{301}`) is one grapheme and would no longer be a quote.
    static func split(_ text: String) throws(SyntaxError) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var words: [String] = []
        var word = String.UnicodeScalarView()
        var inWord = false
        var i = 0
        /// Skips a line break at `i` (LF or CR LF) and says whether there was one.
        func skipLineBreak() -> Bool {
            if i < scalars.count, scalars[i] == "\n" {
                i += 1
                return true
            }
            if i + 1 < scalars.count, scalars[i] == "\r", scalars[i + 1] == "\n" {
                i += 2
                return true
            }
            return false
        }
        while i < scalars.count {
            let scalar = scalars[i]
            i += 1
            switch scalar {
            case " ", "\t", "\n", "\r":
                if inWord { words.append(String(word)) }
                word = String.UnicodeScalarView()
                inWord = false
            case "'":
                inWord = true
                guard let close = scalars[i...].firstIndex(of: "'") else {
                    throw SyntaxError(description: "the arguments have a ' quote that is never closed")
                }
                word.append(contentsOf: scalars[i..<close])
                i = close + 1
            case "\"":
                inWord = true
                var closed = false
                while i < scalars.count {
                    let next = scalars[i]
                    i += 1
                    if next == "\"" {
                        closed = true
                        break
                    }
                    guard next == "\\" else {
                        word.append(next)
                        continue
                    }
                    if skipLineBreak() { continue }
                    guard i < scalars.count else { break }
                    let escaped = scalars[i]
                    i += 1
                    if !["\"", "\\", "$", "`"].contains(escaped) { word.append("\\") }
                    word.append(escaped)
                }
                guard closed else { throw SyntaxError(description: "the arguments have a \" quote that is never closed") }
            case "\\":
                guard i < scalars.count else {
                    throw SyntaxError(description: "the arguments end with a lone backslash (write \\\\ for a backslash)")
                }
                if !skipLineBreak() {
                    inWord = true
                    word.append(scalars[i])
                    i += 1
                }
            default:
                inWord = true
                word.append(scalar)
            }
        }
        if inWord { words.append(String(word)) }
        return words
    }
}
