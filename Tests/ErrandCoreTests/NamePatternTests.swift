import ErrandCore
import Testing

@Suite("Name patterns")
struct NamePatternTests {
    @Test(
        "* is any sequence, ? one character, ASCII letters in any case, everything else literal",
        arguments: [
            ("alpha", "alpha", true), ("ALPHA", "alpha", true), ("alpha", "Alpha", true), ("alp", "alpha", false),
            ("alpha", "alphabet", false), ("*", "", true), ("*", "anything", true), ("?", "", false), ("?", "x", true),
            ("??", "x", false), ("a*", "a", true), ("*a", "banana", true), ("*an*an*", "banana", true),
            ("*an*an*an*", "banana", false), ("a*b*c", "aXbYc", true), ("a*b*c", "aXbYcZ", false), ("", "", true),
            ("", "x", false), ("gamma_1", "gamma_1", true), ("gamma_1", "gammax1", false), ("gamma%", "gamma%", true),
            ("gamma%", "gamma2", false), ("a[b]c", "a[b]c", true), ("a[bc]c", "abc", false), ("a\\*", "a\\b", true),
            ("a\\*", "a*", false), ("?clair", "éclair", true), ("éclair", "Éclair", false), ("STRA?E", "straße", true),
            ("STRASSE", "straße", false), ("*?*?*", "ab", true), ("*?*?*", "a", false), ("z*", "Z", true),
            ("@", "`", false), ("[", "{", false),
        ] as [(String, String, Bool)])
    func matches(_ pattern: String, _ name: String, _ expected: Bool) {
        #expect(NamePattern(pattern).matches(name) == expected)
    }

    @Test("only A-Z fold: the characters next to them in ASCII and letters beyond ASCII do not")
    func folding() {
        for scalar in (0..<0x250).compactMap(Unicode.Scalar.init) {
            let folded = NamePattern.foldASCII(scalar)
            if ("A"..."Z").contains(scalar) {
                #expect(folded.value == scalar.value + 32)
            } else {
                #expect(folded == scalar)
            }
        }
    }

    @Test("a long pattern of stars against a long name answers (no exponential backtracking)")
    func longPatterns() {
        let name = String(repeating: "a", count: 128)
        let pattern = String(repeating: "*a", count: 200) + "b"
        #expect(NamePattern(pattern).matches(name) == false)
        #expect(NamePattern(String(repeating: "*a", count: 64)).matches(name))
    }
}
