import ArgumentParser
import ErrandClient
import ErrandCore
import Foundation

/// `errand instance`: the daemons of a fleet sharing one PostgreSQL store.
struct InstanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "instance",
        abstract: "The daemons (instances) of a fleet on a shared PostgreSQL store.",
        discussion: """
            Several `errand serve --store postgres://… --instance NAME` daemons on one database are a fleet \
            (docs/fleet.md). Any instance answers for any run; each run shows the instance it runs on as its \
            Location. A daemon with its own SQLite store is a fleet of one.
            """,
        subcommands: [InstanceListCommand.self], defaultSubcommand: InstanceListCommand.self)
}

/// `errand instance list`.
struct InstanceListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the instances: Name State LastHeartbeat Version Address RunningRuns.",
        discussion: """
            State is alive (heartbeating), leaving (stopping gracefully) or dead (stopped, or silent for longer \
            than the fleet's limit and declared dead by another instance, which failed its unfinished runs).
            Example: errand instance list --json
            """)

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let instances = try await client.connect().instances()
        if client.json { return try Terminal.printJSON(instances) }
        Terminal.write(Self.table(instances, now: Date()))
    }

    static func table(_ instances: [InstanceRecord], now: Date) -> String {
        let rows = instances.map { instance -> [String] in
            let age = max(0, now.timeIntervalSince(instance.lastHeartbeat))
            return [
                instance.name, instance.state.rawValue, String(format: "%.1f s ago", age), instance.version,
                instance.address.isEmpty ? "-" : instance.address, String(instance.runningRuns),
            ]
        }
        return Terminal.table(header: ["Name", "State", "LastHeartbeat", "Version", "Address", "RunningRuns"], rows: rows)
    }
}
