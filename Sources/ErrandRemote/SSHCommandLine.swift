import ErrandCore
import Foundation

/// How the system `ssh` client is run for a fan-out child. Pure: builds argument lists and the
/// remote command line; nothing here touches the network.
///
/// The remote command runs under the user's login shell, which must be a POSIX shell. sshd starts
/// every session in a new session and process group led by that shell, so `$$` is the group's id:
/// the command prints it (one marker line on stderr, removed from the output) and then `exec`s the
/// program, which keeps the id. A stop is then `kill -TERM -- -GROUP` over the same connection.
public struct SSHCommandLine: Sendable, Equatable {
    /// The ssh client's configuration file (`-F`); nil: the user's own (`~/.ssh/config`).
    public var configFile: String?
    /// The folder of the connection-sharing sockets (`ControlPath`), one per destination.
    public var controlDirectory: String?
    /// How long an idle shared connection stays open after its last session.
    public var controlPersistSeconds = 60

    /// The first stderr line of a child: the remote process group.
    static let markerPrefix = "errand-ssh-pgid "

    public init(configFile: String? = nil, controlDirectory: String? = nil) {
        self.configFile = configFile
        self.controlDirectory = controlDirectory
    }

    /// The arguments of `ssh` that run `remoteCommand` at `destination`. BatchMode: never prompt (no
    /// one is there to answer), so a host key that the user's known_hosts does not vouch for fails.
    public func arguments(to destination: SSHDestination, running remoteCommand: String) -> [String] {
        var arguments: [String] = []
        if let configFile { arguments += ["-F", configFile] }
        arguments += ["-T", "-o", "BatchMode=yes"]
        if let controlDirectory {
            arguments += [
                "-o", "ControlMaster=auto", "-o", "ControlPath=\(controlDirectory)/%C",
                "-o", "ControlPersist=\(controlPersistSeconds)",
            ]
        }
        if let port = destination.port { arguments += ["-p", String(port)] }
        if let user = destination.user { arguments += ["-l", user] }
        arguments += ["--", destination.host, remoteCommand]
        return arguments
    }

    /// The command line the remote login shell runs: the group marker, the variables, then `argv`
    /// exactly (every word quoted, never re-split).
    public static func remoteCommand(argv: [String], environment: [String: String]) -> String {
        // The marker starts on a line of its own even if a login script left stderr mid-line.
        var parts = ["printf '\\n\(markerPrefix)%s\\n' \"$$\" >&2"]
        for key in environment.keys.sorted() where isShellName(key) {
            parts.append("\(key)=\(quote(environment[key]!)); export \(key)")
        }
        parts.append("exec " + argv.map(quote).joined(separator: " "))
        return parts.joined(separator: "; ")
    }

    /// The command that signals the remote process group (nothing if it is already gone). `kill -s SIG
    /// -- -GROUP` is the spelling every POSIX shell's kill takes (dash refuses `kill -TERM -- -GROUP`).
    public static func killCommand(group: Int32, signal: String) -> String {
        "kill -s \(signal) -- -\(group) 2>/dev/null; true"
    }

    /// A word in single quotes for a POSIX shell.
    static func quote(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func isShellName(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
            return false
        }
        return key.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}

/// Takes the group marker out of a child's stderr. Lines before it (the local ssh client's warnings,
/// a login script's noise) pass through; so does everything after it. The empty line the command prints
/// before the marker is dropped with it (an empty line is held until the next line shows whether it was
/// that one). A group id of 0 or 1 is refused (`kill -- -1` would signal every process of the user).
/// Pure.
struct SSHMarkerFilter: Sendable {
    /// Stderr held while looking for the marker is let through past this size (no marker will come).
    static let maxPending = 64 * 1024

    private(set) var remoteGroup: Int32?
    /// Stderr bytes held until the marker line, or a line that is not it, is complete.
    private var pending: [UInt8] = []
    /// An empty line seen last, not passed yet.
    private var heldEmptyLine = false
    /// The last line ssh wrote before the command started (the reason when it never starts).
    private(set) var lastDiagnostic: String?

    /// What of these bytes goes to the run's output.
    mutating func filter(_ channel: OutputChannel, _ bytes: [UInt8]) -> [UInt8] {
        guard channel == .error, remoteGroup == nil else { return bytes }
        pending += bytes
        var passed: [UInt8] = []
        while remoteGroup == nil, let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: pending[..<newline], as: UTF8.self)
            let rest = Array(pending[(newline + 1)...])
            if line.hasPrefix(SSHCommandLine.markerPrefix), let group = Int32(line.dropFirst(SSHCommandLine.markerPrefix.count)),
                group > 1
            {
                remoteGroup = group
                heldEmptyLine = false
            } else if line.isEmpty {
                if heldEmptyLine { passed.append(UInt8(ascii: "\n")) }
                heldEmptyLine = true
            } else {
                if heldEmptyLine { passed.append(UInt8(ascii: "\n")) }
                heldEmptyLine = false
                passed += pending[...newline]
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if !trimmed.isEmpty { lastDiagnostic = trimmed }
            }
            pending = rest
        }
        if remoteGroup != nil || pending.count > Self.maxPending {
            if heldEmptyLine { passed.append(UInt8(ascii: "\n")) }
            heldEmptyLine = false
            passed += pending
            pending = []
        }
        return passed
    }

    /// What is still held when the output ends (an unterminated last line).
    mutating func remainder() -> [UInt8] {
        defer {
            pending = []
            heldEmptyLine = false
        }
        if !pending.isEmpty {
            let line = String(decoding: pending, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !line.isEmpty { lastDiagnostic = line }
        }
        return (heldEmptyLine ? [UInt8(ascii: "\n")] : []) + pending
    }
}
