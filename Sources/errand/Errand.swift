import ArgumentParser
import ErrandCore
import Foundation

/// `errand`: the daemon, and the command-line client of its API.
@main
struct Errand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "errand",
        abstract: "Run commands in the background and get their output back later.",
        discussion: """
            Jobs live in the daemon (`errand serve`), not in your terminal: closing it never kills them, \
            and their output is kept until you remove the run. If no daemon answers at the default \
            address, the client starts one in the background (turn that off with --no-autostart or \
            ERRAND_NO_AUTOSTART=1).

            Exit codes: 0 success, 1 error (message on stderr), 2 usage, 124 `wait` timed out; `errand job trigger \
            --wait` exits with the run's result.
            """,
        version: ErrandVersion.current,
        subcommands: [
            ServeCommand.self, StartCommand.self, InvokeCommand.self, GetCommand.self, ReceiveCommand.self, WaitCommand.self,
            StopCommand.self, RemoveCommand.self, LogsCommand.self, JobCommand.self, SessionCommand.self, VersionCommand.self,
            ScheduleCommand.self, TokenCommand.self, HostCommand.self, StoreCommand.self, InstanceCommand.self,
        ]
    )

    /// Parses, runs, and maps failures to the documented exit codes: errors say what went wrong on
    /// stderr and exit 1; usage mistakes print the usage and exit 2.
    static func main() async {
        do {
            var command = try parseAsRoot(hoistingClientOptions(Array(Swift.CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ErrandError {
            Terminal.error(error.message)
            Foundation.exit(1)
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                self.exit(withError: error)
            } else if code == .validationFailure {
                Terminal.writeError(fullMessage(for: error) + "\n")
                Foundation.exit(2)
            } else {
                self.exit(withError: error)
            }
        }
    }

    /// Verbs whose client options belong to a sub-verb.
    static let groupVerbs: Set<String> = ["job", "token", "session", "host", "instance"]

    /// Lets client options come before the verb, as in `errand --host URL get`: they are moved to
    /// just after the verb (after `job VERB` for job verbs), where each verb's parser takes them.
    static func hoistingClientOptions(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var index = 0
        while index < arguments.count, arguments[index].hasPrefix("-"), arguments[index] != "--" {
            let word = arguments[index]
            let takesValue = word == "--host"
            guard takesValue || word.hasPrefix("--host=") || word == "--json" || word == "--no-autostart" else {
                return arguments
            }
            leading.append(word)
            if takesValue, index + 1 < arguments.count {
                leading.append(arguments[index + 1])
                index += 1
            }
            index += 1
        }
        guard index < arguments.count, !leading.isEmpty else { return arguments }
        // Verbs with sub-verbs (`job list`, `token create`) take the options after the sub-verb.
        let verbs = groupVerbs.contains(arguments[index]) && index + 1 < arguments.count ? 2 : 1
        return Array(arguments[index..<(index + verbs)]) + leading + arguments[(index + verbs)...]
    }
}
