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

    static func split(_ text: String) throws(SyntaxError) -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false
        var characters = text.makeIterator()
        while let character = characters.next() {
            switch character {
            case " ", "\t", "\n", "\r", "\r\n":
                if inWord { words.append(word) }
                word = ""
                inWord = false
            case "'":
                inWord = true
                var closed = false
                while let next = characters.next() {
                    if next == "'" {
                        closed = true
                        break
                    }
                    word.append(next)
                }
                guard closed else { throw SyntaxError(description: "the arguments have a ' quote that is never closed") }
            case "\"":
                inWord = true
                var closed = false
                while let next = characters.next() {
                    if next == "\"" {
                        closed = true
                        break
                    }
                    guard next == "\\" else {
                        word.append(next)
                        continue
                    }
                    guard let escaped = characters.next() else { break }
                    switch escaped {
                    case "\"", "\\", "$", "`": word.append(escaped)
                    case "\n", "\r\n": break
                    default: word.append("\\\(escaped)")
                    }
                }
                guard closed else { throw SyntaxError(description: "the arguments have a \" quote that is never closed") }
            case "\\":
                guard let escaped = characters.next() else {
                    throw SyntaxError(description: "the arguments end with a lone backslash (write \\\\ for a backslash)")
                }
                if escaped != "\n" && escaped != "\r\n" {
                    inWord = true
                    word.append(escaped)
                }
            default:
                inWord = true
                word.append(character)
            }
        }
        if inWord { words.append(word) }
        return words
    }
}
