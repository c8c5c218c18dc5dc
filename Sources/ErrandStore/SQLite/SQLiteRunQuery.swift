import ErrandCore
import GRDB

/// A ``RunQuery`` as one SQLite `SELECT`. SQL only filters: what the filters mean comes from ErrandCore
/// (``NamePattern``, ``Receiving/hasMoreData(state:pendingOutput:)``, ``Run/isFanOutChild(type:parentId:)``),
/// handed to the statement as arguments.
enum SQLiteRunQuery {
    /// The most values one statement binds (SQLite allows 32766): a longer list of ids is not a query we serve.
    static let maxArguments = 30_000

    static func select(_ query: RunQuery) throws -> (sql: String, arguments: StatementArguments) {
        let listed = query.ids.count + query.names.count + query.jobs.count + query.states.count
        guard listed <= maxArguments else {
            throw StoreError.invalid("a run query may list at most \(maxArguments) ids, names, jobs and states (got \(listed))")
        }
        if let long = query.names.first(where: { $0.unicodeScalars.count > NamePattern.maxLength }) {
            throw StoreError.invalid(
                "a name pattern may be at most \(NamePattern.maxLength) characters long (got \(long.unicodeScalars.count))")
        }
        var clauses: [String] = []
        // ?1 is the reader whose cursor decides hasMoreData; every later `?` is numbered after it.
        var arguments: StatementArguments = [query.reader]
        func oneOf(_ column: String, in values: [some DatabaseValueConvertible]) {
            clauses.append("\(column) IN (\(placeholders(values.count)))")
            arguments += StatementArguments(values)
        }
        if !query.ids.isEmpty { oneOf("id", in: query.ids) }
        if !query.names.isEmpty {
            clauses.append("(" + query.names.map { _ in "name LIKE ? ESCAPE '\\'" }.joined(separator: " OR ") + ")")
            arguments += StatementArguments(query.names.map { likePattern(NamePattern($0)) })
        }
        if !query.jobs.isEmpty { oneOf("job_name", in: query.jobs) }
        if let parent = query.parent {
            clauses.append("parent_id = ?")
            arguments += [parent]
        }
        if !query.includeChildren {
            // The types whose runs with a parent are fan-out children.
            let childTypes = RunType.allCases.filter { Run.isFanOutChild(type: $0, parentId: 0) }.map(\.rawValue)
            clauses.append("NOT (parent_id IS NOT NULL AND type IN (\(placeholders(childTypes.count))))")
            arguments += StatementArguments(childTypes)
        }
        if let session = query.session {
            clauses.append("session_name = ?")
            arguments += [session]
        }
        if !query.states.isEmpty { oneOf("state", in: query.states.map(\.rawValue)) }
        if query.realOnly {
            // Run.isSkipRecord: stopped, never started.
            clauses.append("NOT (state = ? AND started_at IS NULL)")
            arguments += [RunState.stopped.rawValue]
        }
        if let hasMoreData = query.hasMoreData {
            // The rule is "not finished, or output to receive": the states that have more data whatever the
            // output, or output the reader has not received (a fan-out parent's: its children's).
            let always = RunState.allCases.filter { Receiving.hasMoreData(state: $0, pendingOutput: false) }.map(\.rawValue)
            clauses.append(
                "(state IN (\(placeholders(always.count))) OR \(SQLiteRunRows.pendingOutputSQL)) = ?")
            arguments += StatementArguments(always)
            arguments += [hasMoreData]
        }
        if let after = query.after {
            clauses.append("id > ?")
            arguments += [after]
        }
        if let before = query.before {
            clauses.append("id < ?")
            arguments += [before]
        }
        let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        var sql = "SELECT \(SQLiteRunRows.columns) FROM runs \(whereClause) ORDER BY id"
        if let newest = query.newest {
            sql = "SELECT * FROM (SELECT \(SQLiteRunRows.columns) FROM runs \(whereClause) ORDER BY id DESC LIMIT ?) ORDER BY id"
            arguments += [max(0, newest)]
        }
        if let limit = query.limit {
            sql += " LIMIT ?"
            arguments += [max(0, limit)]
        }
        return (sql, arguments)
    }

    static func placeholders(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ",") }

    /// A ``NamePattern`` as a `LIKE … ESCAPE '\'` pattern. SQLite's LIKE ignores the case of ASCII letters only
    /// and counts `_` in Unicode scalars, which is the pattern's rule; `%`, `_` and `\` are escaped to match
    /// themselves (`[` means nothing to LIKE).
    static func likePattern(_ pattern: NamePattern) -> String {
        var like = ""
        for element in pattern.elements {
            switch element {
            case .anySequence: like += "%"
            case .anyCharacter: like += "_"
            case .literal(let scalar):
                if scalar == "%" || scalar == "_" || scalar == "\\" { like += "\\" }
                like.unicodeScalars.append(scalar)
            }
        }
        return like
    }
}
