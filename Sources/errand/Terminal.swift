import ErrandCore
import Foundation

/// Writing to the terminal: raw bytes, messages on stderr, JSON, and tables.
enum Terminal {
    static func write(_ text: String) { writeBytes(Array(text.utf8), to: .output) }
    static func writeError(_ text: String) { writeBytes(Array(text.utf8), to: .error) }

    /// "errand: message" on stderr.
    static func error(_ message: String) { writeError("errand: \(message)\n") }

    static func writeBytes(_ bytes: some Collection<UInt8>, to channel: OutputChannel) {
        guard !bytes.isEmpty else { return }
        let handle = channel == .output ? FileHandle.standardOutput : FileHandle.standardError
        try? handle.write(contentsOf: Data(bytes))
    }

    /// Output records as NDJSON lines: `{"seq","time","stream","text"}`, one per line of output.
    static func printLines(_ records: [WireChunk]) {
        let encoder = JSONCoding.encoder()
        var text = ""
        for record in records {
            for line in record.chunk.lines {
                if let data = try? encoder.encode(line) { text += String(decoding: data, as: UTF8.self) + "\n" }
            }
        }
        write(text)
    }

    /// Output records as they were: Output on stdout, Error on stderr; a fan-out's lines are
    /// prefixed with their host. `logs` keeps each stream's line state across pages.
    static func writeStreams(_ records: [WireChunk], logs: inout StreamLogs) {
        for record in records {
            let chunk = record.chunk
            writeBytes(logs[chunk.stream].render(chunk), to: chunk.stream)
        }
    }

    /// One ``PlainLog`` per stream (a line open on stdout does not hold up stderr's prefixes).
    struct StreamLogs {
        private var output = PlainLog()
        private var error = PlainLog()

        subscript(channel: OutputChannel) -> PlainLog {
            get { channel == .output ? output : error }
            set { if channel == .output { output = newValue } else { error = newValue } }
        }
    }

    static func printJSON(_ value: some Encodable, pretty: Bool = true) throws {
        let encoder = JSONCoding.encoder()
        if pretty { encoder.outputFormatting.insert(.prettyPrinted) }
        write(String(decoding: try encoder.encode(value), as: UTF8.self) + "\n")
    }

    /// PowerShell's job table: `Id Name Type State HasMoreData Location Command`.
    static func runTable(_ runs: [Run]) -> String {
        let header = ["Id", "Name", "Type", "State", "HasMoreData", "Location", "Command"]
        let rows = runs.map { run in
            [
                String(run.id), run.name, run.type.rawValue, run.state.rawValue, run.hasMoreData ? "True" : "False",
                locationCell(run.location), run.command,
            ]
        }
        return table(header: header, rows: rows)
    }

    /// A fan-out's location names every host; past a few, the table shows the first and a count
    /// (`--json` and `errand get --parent ID` show them all).
    static func locationCell(_ location: String, limit: Int = 48) -> String {
        guard location.count > limit else { return location }
        let hosts = location.split(separator: ",")
        var shown: [Substring] = []
        for host in hosts {
            guard (shown + [host]).joined(separator: ",").count <= limit - 12 else { break }
            shown.append(host)
        }
        if shown.isEmpty { shown = [hosts[0]] }
        return shown.joined(separator: ",") + ",… (\(hosts.count) hosts)"
    }

    static func table(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        let rule = widths.map { String(repeating: "-", count: $0) }
        return ([line(header), line(rule)] + rows.map(line)).joined(separator: "\n") + "\n"
    }
}
