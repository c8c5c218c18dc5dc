/// What a job runs: the script it was deployed with and the argv prefix that starts it.
///
/// Arguments of a run are appended to `argv` as separate elements and the result is given to the runner as is:
/// nothing is ever joined into a command line and re-parsed by a shell (Kudu's argument bugs, kudu.md §7.9).
/// Paths are relative to the job's folder, which is the run's working directory.
public struct EntryPoint: Sendable, Hashable, Codable {
    /// How the script is started.
    public enum Host: String, Sendable, Hashable, Codable {
        /// The interpreter named by the script's `#!` line.
        case shebang
        /// An interpreter chosen by extension (`bash`, `python3`, `node`, `php`, `pwsh`).
        case interpreter
        /// `java -jar`.
        case java
        /// The file itself, executed directly (an executable without a known extension).
        case executable
    }

    /// The file, relative to the package root (Kudu's `run_command`).
    public var script: String
    public var host: Host
    /// Interpreter (and its fixed options) followed by the script; arguments go after it.
    public var argv: [String]
    /// Programs that must be installed for `argv` to start (checked at deploy time).
    public var requires: [String]

    public init(script: String, host: Host, argv: [String], requires: [String]) {
        self.script = script
        self.host = host
        self.argv = argv
        self.requires = requires
    }

    /// The argv of one run: the prefix, then each argument as its own element.
    public func command(arguments: [String]) -> [String] { argv + arguments }
}
