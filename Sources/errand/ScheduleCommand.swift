import ArgumentParser
import ErrandSchedule
import Foundation

/// `errand schedule …`: compute and explain schedules locally, without a daemon.
///
/// The contract scripts rely on: one ISO-8601 instant with its UTC offset per line (`--json`: a JSON array of
/// strings); invalid input prints the reason on stderr and exits 1.
struct ScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Show when a cron expression or recurrence object fires, or describe it in words.",
        discussion: """
            Works without a daemon. Cron: 5 fields (min hour dom month dow), 6 fields (seconds first), \
            macros (@daily, …) or @every 1h30m. Recurrence: an Azure-style JSON object, inline or @FILE. \
            See docs/schedules.md.
            """,
        subcommands: [Next.self, Explain.self]
    )

    /// The schedule to work on: an expression argument or `--recurrence`, and the zone to read it in.
    struct Source: ParsableArguments {
        @Argument(help: "A cron expression, quoted, e.g. \"0 30 9 * * MON-FRI\".")
        var expression: String?

        @Option(name: .long, help: "A recurrence object as JSON, or @FILE to read it from a file.")
        var recurrence: String?

        @Option(name: .long, help: "IANA time zone to read the schedule in (default: this machine's zone).")
        var tz: String?

        /// The parsed schedule and the zone its instants are shown in.
        func resolve() throws -> (schedule: any Schedule, zone: TimeZone) {
            var zone = TimeZone.current
            if let tz {
                guard let z = Recurrence.zone(named: tz) else { try fail("--tz: \"\(tz)\" is not an IANA time zone such as Europe/London") }
                zone = z
            }
            switch (expression, recurrence) {
            case (let e?, nil):
                do {
                    return (try CronExpression(parsing: e), zone)
                } catch {
                    try fail("invalid cron expression \"\(e)\": \(error)")
                }
            case (nil, let r?):
                var data = Data(r.utf8)
                if r.hasPrefix("@") {
                    let path = String(r.dropFirst())
                    guard let contents = FileManager.default.contents(atPath: path) else {
                        try fail("--recurrence: cannot read file \(path)")
                    }
                    data = contents
                }
                do {
                    let recurrence = try Recurrence(json: data)
                    return (recurrence, recurrence.timeZone ?? zone)
                } catch {
                    try fail("invalid recurrence: \(error)")
                }
            case (nil, nil):
                try fail("give a cron expression or --recurrence JSON|@FILE")
            case (_?, _?):
                try fail("give either a cron expression or --recurrence, not both")
            }
        }
    }

    struct Next: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the next firing instants, one ISO-8601 instant with its UTC offset per line.")

        @OptionGroup var source: Source

        @Option(name: .long, help: "Start after this instant (ISO-8601; without an offset, read in the zone). Default: now.")
        var from: String?

        @Option(name: .long, help: "How many instants to print (1-10000).")
        var count: Int = 1

        @Flag(name: .long, help: "Print a JSON array of strings instead of lines.")
        var json = false

        func run() async throws {
            let (schedule, zone) = try source.resolve()
            guard (1...10_000).contains(count) else { try fail("--count: \(count) is out of range 1-10000") }
            var start = Date()
            if let from {
                guard let d = ISO8601.date(from: from, defaultZone: zone) else {
                    try fail("--from: \"\(from)\" is not an ISO-8601 date-time such as 2026-03-06T00:00:00Z")
                }
                start = d
            }
            let instants = schedule.next(count, after: start, in: zone).map { ISO8601.string($0, in: zone) }
            if json {
                let data = try JSONSerialization.data(withJSONObject: instants, options: [.withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
            } else {
                for line in instants { print(line) }
            }
        }
    }

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Describe the schedule in English words.")

        @OptionGroup var source: Source

        func run() async throws {
            let (schedule, _) = try source.resolve()
            print(schedule.description)
        }
    }
}

/// Prints the message on stderr and ends the command with exit status 1.
private func fail(_ message: String) throws -> Never {
    FileHandle.standardError.write(Data("errand: \(message)\n".utf8))
    throw ExitCode(1)
}
