/// Splits Kudu's `?arguments=` string into argv words. Every string is accepted and nothing in it is lost.
///
/// Kudu appends the string raw to a command line that `cmd` or `bash` then parses (kudu.md §2.4), so any
/// string is valid there and clients send whatever their program expects: Windows paths (`C:\temp\in`), regular
/// expressions (`\d+`), names with apostrophes (`O'Brien`). Errand passes argv and never starts a shell, so it
/// splits the string here, by a rule that refuses nothing (docs/kudu.md, "Arguments"):
///
/// - blanks (space, tab, CR, LF) outside quotes separate words; runs of blanks count as one;
/// - `"…"` groups, anywhere in a word (`--name="John Smith"`); a `"` that is never closed is an ordinary
///   character;
/// - `'…'` groups a whole word: a `'` opens only where a word starts, and closes only at a `'` followed by a
///   blank or the end; inside, everything is literal. Any other `'` (`O'Brien`, `it's`) is an ordinary character;
/// - backslashes are ordinary characters, except right before a `"` (as Windows programs read their command
///   line): `2n` backslashes and a `"` are `n` backslashes and a quote that opens or closes; `2n+1` backslashes
///   and a `"` are `n` backslashes and a literal `"`;
/// - `""` and `''` make an empty word;
/// - nothing is expanded (`$`, `` ` ``, `*`, `~`) and `;`, `|`, `&&`, `>` are ordinary characters.
///
/// Works on Unicode scalars: as characters, a quote followed by a combining mark (`'\u{301}`) is one grapheme and
/// would no longer be a quote.
enum CommandLineWords {
    static func split(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var words: [String] = []
        var word = String.UnicodeScalarView()
        var inWord = false
        var i = 0
        while i < scalars.count {
            let scalar = scalars[i]
            if isBlank(scalar) {
                if inWord { words.append(String(word)) }
                word = String.UnicodeScalarView()
                inWord = false
                i += 1
                continue
            }
            let startsWord = !inWord
            inWord = true
            switch scalar {
            case "'" where startsWord:
                guard let close = singleQuoteEnd(scalars, openingAt: i) else {
                    word.append(scalar)
                    i += 1
                    break
                }
                word.append(contentsOf: scalars[(i + 1)..<close])
                i = close + 1
            case "\"":
                guard let close = doubleQuoteEnd(scalars, openingAt: i) else {
                    word.append(scalar)
                    i += 1
                    break
                }
                word.append(contentsOf: unescape(scalars[(i + 1)..<close]))
                i = close + 1
            case "\\":
                let run = backslashRun(scalars, from: i)
                if run.end < scalars.count, scalars[run.end] == "\"" {
                    // Halved; an odd one out escapes the quote, else the quote opens (or stays literal) next turn.
                    word.append(contentsOf: repeatElement("\\", count: run.count / 2))
                    if run.count % 2 == 1 {
                        word.append("\"")
                        i = run.end + 1
                    } else {
                        i = run.end
                    }
                } else {
                    word.append(contentsOf: repeatElement("\\", count: run.count))
                    i = run.end
                }
            default:
                word.append(scalar)
                i += 1
            }
        }
        if inWord { words.append(String(word)) }
        return words
    }

    static func isBlank(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r"
    }

    /// The backslashes starting at `start`: how many, and the index after them.
    private static func backslashRun(_ scalars: [Unicode.Scalar], from start: Int) -> (count: Int, end: Int) {
        var end = start
        while end < scalars.count, scalars[end] == "\\" { end += 1 }
        return (end - start, end)
    }

    /// The `'` that closes the one at `open` (the first followed by a blank or the end), or nil.
    private static func singleQuoteEnd(_ scalars: [Unicode.Scalar], openingAt open: Int) -> Int? {
        var index = open + 1
        while index < scalars.count {
            if scalars[index] == "'", index + 1 == scalars.count || isBlank(scalars[index + 1]) { return index }
            index += 1
        }
        return nil
    }

    /// The `"` that closes the one at `open` (the first after an even number of backslashes), or nil.
    private static func doubleQuoteEnd(_ scalars: [Unicode.Scalar], openingAt open: Int) -> Int? {
        var index = open + 1
        while index < scalars.count {
            if scalars[index] == "\\" {
                let run = backslashRun(scalars, from: index)
                if run.end < scalars.count, scalars[run.end] == "\"" {
                    if run.count % 2 == 0 { return run.end }
                    index = run.end + 1
                } else {
                    index = run.end
                }
            } else if scalars[index] == "\"" {
                return index
            } else {
                index += 1
            }
        }
        return nil
    }

    /// The inside of a double-quoted part: backslashes before a `"` halved (an odd one out makes the `"` literal);
    /// a run just before the closing quote is halved too.
    private static func unescape(_ inside: ArraySlice<Unicode.Scalar>) -> String.UnicodeScalarView {
        var out = String.UnicodeScalarView()
        var index = inside.startIndex
        while index < inside.endIndex {
            guard inside[index] == "\\" else {
                out.append(inside[index])
                index += 1
                continue
            }
            var end = index
            while end < inside.endIndex, inside[end] == "\\" { end += 1 }
            let count = end - index
            if end == inside.endIndex {
                out.append(contentsOf: repeatElement("\\", count: count / 2))
            } else if inside[end] == "\"" {
                out.append(contentsOf: repeatElement("\\", count: count / 2))
                out.append("\"")
                end += 1
            } else {
                out.append(contentsOf: repeatElement("\\", count: count))
            }
            index = end
        }
        return out
    }
}
