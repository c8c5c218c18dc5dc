import ErrandCore
import ErrandStore
import Foundation
import Testing

/// Name matching: an engine selects exactly the runs ``NamePattern`` matches.
extension StoreContract {
    static let nameChecks: [Check] = [
        ("name patterns: * and ? are wildcards, ASCII letters in any case, everything else literal", nameMatching),
        ("name patterns select exactly what NamePattern matches, over a table of names and patterns", nameMatchingTable),
        ("a name pattern longer than NamePattern.maxLength is invalid, not a failure", longNamePattern),
    ]

    /// Names with every character a SQL `LIKE` or a glob could read as special.
    static let awkwardNames = [
        "alpha", "Alpha", "ALPHA-2", "beta", "gamma_1", "gammax1", "gamma%2", "gammaXY2", "a[b]c", "abc", "a\\b", "a\\\\b",
        "back\\slash", "dot.name", "star*name", "q?mark", "éclair", "Éclair", "straße", "x", "",
    ]

    static func nameMatching(_ store: any Store) async throws {
        var id: [String: Int64] = [:]
        for name in awkwardNames where !name.isEmpty { id[name] = try await store.createRun(newRun(name: name)).id }
        func names(_ patterns: String...) async throws -> Set<String> {
            Set(try await store.runs(RunQuery(names: patterns)).map(\.name))
        }
        #expect(try await names("alpha") == ["alpha", "Alpha"])
        #expect(try await names("ALPHA*") == ["alpha", "Alpha", "ALPHA-2"])
        #expect(try await names("al?ha") == ["alpha", "Alpha"])
        #expect(try await names("?") == ["x"])
        // `_` and `%` are themselves, not SQL wildcards.
        #expect(try await names("gamma_1") == ["gamma_1"])
        #expect(try await names("gamma_?") == ["gamma_1"])
        #expect(try await names("gamma%2") == ["gamma%2"])
        #expect(try await names("gamma%*") == ["gamma%2"])
        #expect(try await names("gamma?2") == ["gamma%2"])
        #expect(try await names("gamma*2") == ["gamma%2", "gammaXY2"])
        // `[` is not a character class; `\` is not an escape.
        #expect(try await names("a[b]c") == ["a[b]c"])
        #expect(try await names("a[bc]c").isEmpty)
        #expect(try await names("a\\b") == ["a\\b"])
        #expect(try await names("a\\*") == ["a\\b", "a\\\\b"])
        #expect(try await names("back\\*") == ["back\\slash"])
        #expect(try await names("star\\*name").isEmpty)
        #expect(try await names("dot?name") == ["dot.name"])
        // `?` is one character (a Unicode scalar), also outside ASCII; case folds for ASCII letters only.
        #expect(try await names("?clair") == ["éclair", "Éclair"])
        #expect(try await names("éclair") == ["éclair"])
        #expect(try await names("STRASSE").isEmpty)
        #expect(try await names("STRA?E") == ["straße"])
        // A whole-name match, not a substring; several patterns are alternatives.
        #expect(try await names("lpha").isEmpty)
        #expect(try await names("beta", "x", "nothing") == ["beta", "x"])
        #expect(try await names("*").count == id.count)
    }

    static func nameMatchingTable(_ store: any Store) async throws {
        let names = awkwardNames.filter { !$0.isEmpty }
        for name in names { _ = try await store.createRun(newRun(name: name)) }
        let patterns =
            names + names.map { $0.uppercased() } + [
                "*", "?", "??", "*?", "?*", "**", "*a*", "*A*", "a*", "*2", "*_*", "*%*", "*[*", "*\\*", "*.*", "*?*?*", "",
                "%", "_", "gamma_%", "a_c", "a%c", "[", "\\", "É*", "é*", "*ß*", "*SS*",
            ]
        for pattern in patterns {
            let selected = Set(try await store.runs(RunQuery(names: [pattern])).map(\.name))
            let expected = Set(names.filter { NamePattern(pattern).matches($0) })
            #expect(selected == expected, "pattern '\(pattern)'")
        }
    }

    static func longNamePattern(_ store: any Store) async throws {
        _ = try await store.createRun(newRun(name: "alpha"))
        let longest = String(repeating: "*", count: NamePattern.maxLength - 5) + "alpha"
        #expect(try await store.runs(RunQuery(names: [longest])).map(\.name) == ["alpha"])
        let error = await #expect(throws: ErrandError.self) {
            try await store.runs(RunQuery(names: [longest + "*"]))
        }
        #expect(error?.code == .badRequest)
    }
}
