/// How a name pattern selects runs (`errand list NAME`, `GET /api/v1/runs?name=`, PowerShell's `-Name`).
/// One rule, defined here only; every store engine must select exactly the runs this matches (the store
/// contract pins it), and the CLI uses it to tell which pattern matched nothing.
///
/// - `*` matches any sequence of characters, the empty one included;
/// - `?` matches exactly one character;
/// - every other character matches only itself: `%`, `_`, `[`, `]` and `\` have no special meaning;
/// - ASCII letters match without regard to case (`a` matches `A`); other characters, letters outside
///   ASCII included, match only themselves (`é` does not match `É`).
///
/// A "character" is one Unicode scalar (what SQL's `_` counts), not a grapheme cluster.
public struct NamePattern: Sendable, Equatable, CustomStringConvertible {
    /// One element of a pattern.
    public enum Element: Sendable, Equatable {
        /// A character that matches itself (ASCII letters in either case).
        case literal(Unicode.Scalar)
        /// `?`: any one character.
        case anyCharacter
        /// `*`: any sequence, the empty one included.
        case anySequence
    }

    /// The longest pattern a store is asked to match, in characters (run names are at most 128); stores
    /// refuse longer ones as invalid rather than failing inside their query language.
    public static let maxLength = 1024

    /// The pattern as written.
    public let text: String
    /// The pattern, parsed.
    public let elements: [Element]

    public init(_ text: String) {
        self.text = text
        elements = text.unicodeScalars.map { scalar in
            switch scalar {
            case "*": .anySequence
            case "?": .anyCharacter
            default: .literal(scalar)
            }
        }
    }

    public var description: String { text }

    /// True when the pattern has a wildcard: one that matches nothing is not an error, as in PowerShell
    /// (`Get-Job -Name x*`), where an exact name that matches nothing is.
    public var isWildcard: Bool {
        elements.contains { element in
            if case .literal = element { false } else { true }
        }
    }

    /// Whether `name` matches the whole pattern.
    public func matches(_ name: String) -> Bool {
        let name = Array(name.unicodeScalars)
        // Greedy match with one backtrack point (the last `*`): linear in practice, O(n·m) at worst.
        var n = 0
        var p = 0
        var star: (pattern: Int, name: Int)?
        while n < name.count {
            if p < elements.count, Self.matchesOne(elements[p], name[n]) {
                n += 1
                p += 1
            } else if p < elements.count, elements[p] == .anySequence {
                star = (p, n)
                p += 1
            } else if let last = star {
                star = (last.pattern, last.name + 1)
                p = last.pattern + 1
                n = last.name + 1
            } else {
                return false
            }
        }
        while p < elements.count, elements[p] == .anySequence { p += 1 }
        return p == elements.count
    }

    private static func matchesOne(_ element: Element, _ scalar: Unicode.Scalar) -> Bool {
        switch element {
        case .anyCharacter: true
        case .anySequence: false
        case .literal(let literal): foldASCII(literal) == foldASCII(scalar)
        }
    }

    /// ASCII upper-case letters as lower-case; every other scalar as it is.
    public static func foldASCII(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        guard scalar.value >= 0x41, scalar.value <= 0x5A else { return scalar }
        return Unicode.Scalar(UInt8(scalar.value + 0x20))
    }
}
