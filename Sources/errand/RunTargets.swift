import ArgumentParser
import ErrandClient
import ErrandCore

/// The runs a verb acts on, chosen as PowerShell's `-Id`, `-Name` and `-State` choose jobs: ids and names
/// (with `*` and `?`) as arguments, `--name PATTERN`, `--state S`. Each id or exact name that finds nothing
/// is an error of its own, reported while the other targets are still handled (a wildcard that matches
/// nothing is not an error, as in PowerShell). With `--state` alone, every run in those states is chosen.
struct RunTargets: ParsableArguments {
    @Argument(help: ArgumentHelp("Run ids or names (* and ? wildcards).", valueName: "ID|NAME"))
    var selectors: [String] = []

    @Option(help: ArgumentHelp("Runs whose name matches this pattern (* and ? wildcards).", valueName: "PATTERN"))
    var name: [String] = []

    @Option(help: ArgumentHelp("Only runs in this state (Running, Completed, Failed, Stopped, …).", valueName: "STATE"))
    var state: [String] = []

    func validate() throws {
        if selectors.isEmpty && name.isEmpty && state.isEmpty {
            throw ValidationError("name at least one run (an id or a name), or select runs with --name or --state")
        }
        if let bad = selectors.first(where: { Int64($0).map { $0 <= 0 } ?? false }) {
            throw ValidationError("'\(bad)' is not a run id")
        }
        for word in state where RunState(userInput: word) == nil {
            let states = RunState.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("'\(word)' is not a run state (\(states))")
        }
    }

    /// What the targets chose, in id order, and a message for each target that found nothing.
    struct Resolution {
        var runs: [Run] = []
        var problems: [String] = []
    }

    func resolve(_ connection: ErrandClient) async throws -> Resolution {
        let ids = selectors.compactMap { Int64($0) }
        let names = selectors.filter { Int64($0) == nil } + name
        let filters = state.compactMap { RunState(userInput: $0) }.map { ("state", $0.rawValue) }
        var found: [Int64: Run] = [:]
        var problems: [String] = []
        if ids.isEmpty && names.isEmpty {
            for run in try await connection.runs(filters) { found[run.id] = run }
        }
        if !ids.isEmpty {
            let runs = try await connection.runs(ids.map { ("id", String($0)) } + filters)
            for run in runs { found[run.id] = run }
            // With a state filter an id may be left out on purpose; without one, it does not exist.
            if filters.isEmpty {
                for id in ids where !runs.contains(where: { $0.id == id }) { problems.append("no run with id \(id)") }
            }
        }
        for pattern in names {
            let runs = try await connection.runs([("name", pattern)] + filters)
            for run in runs { found[run.id] = run }
            if runs.isEmpty && filters.isEmpty && !NamePattern(pattern).isWildcard {
                problems.append("no run named '\(pattern)'")
            }
        }
        return Resolution(runs: found.values.sorted { $0.id < $1.id }, problems: problems)
    }
}

/// Handles targets one by one: each failure is said on stderr and the next target is still handled; the
/// command exits 1 at the end if anything went wrong (PowerShell's non-terminating errors).
struct EachTarget {
    private(set) var failed = false

    mutating func report(_ message: String) {
        Terminal.error(message)
        failed = true
    }

    mutating func attempt(_ body: () async throws -> Void) async {
        do {
            try await body()
        } catch let error as ErrandError {
            report(error.message)
        } catch {
            report("\(error)")
        }
    }

    func finish() throws {
        if failed { throw ExitCode(1) }
    }
}
