import ArgumentParser
import ErrandDaemon
import Foundation

/// `errand store copy`: moving a daemon's history to PostgreSQL.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Work on a store directly (no daemon needed).",
        subcommands: [StoreCopyCommand.self])
}

struct StoreCopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract:
            "Copy a daemon's SQLite store (runs, output, jobs and their packages, tokens, sessions) into an empty PostgreSQL database.",
        discussion: """
            Stop the daemon first, so the copy is of one moment; then start it (or a fleet) with --store URL. \
            A database that already holds Errand's data is refused. Example: \
            errand store copy --from sqlite:$HOME/.local/share/errand/errand.sqlite --to postgres://errand@db/errand
            """)

    @Option(help: ArgumentHelp("The SQLite store to copy from.", valueName: "sqlite:PATH"))
    var from: String

    @Option(help: ArgumentHelp("The empty PostgreSQL database to copy into.", valueName: "postgres://USER@HOST/DATABASE"))
    var to: String

    @Option(help: ArgumentHelp("The data dir holding the jobs' packages (default: the folder of the SQLite file).", valueName: "DIR"))
    var dataDir: String?

    func run() async throws {
        let report = try await Daemon.copyStore(from: from, to: to, packagesIn: dataDir) { line in Terminal.error(line) }
        let rows = report.rows.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        Terminal.write("copied \(rows), \(report.packages) packages\n")
    }
}
