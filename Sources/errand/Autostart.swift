import ErrandClient
import ErrandCore
import ErrandDaemon
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Starts a local daemon for a client that found none: detached in its own session (so it
/// outlives the terminal), logging into its data dir.
enum Autostart {
    static func startDaemon(for client: ErrandClient) async throws {
        let dataDirectory = DataDirectory.resolve(nil)
        try DataDirectory.create(dataDirectory)
        let logPath = dataDirectory + "/daemon.log"
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? Swift.CommandLine.arguments[0]
        let listen = client.baseURL.replacingOccurrences(of: "http://", with: "")
        try spawnDetached([executable, "serve", "--listen", listen, "--data-dir", dataDirectory], logPath: logPath)
        for _ in 0..<100 {
            if (try? await client.health()) != nil {
                Terminal.error("no daemon was running; started one at \(client.baseURL) (data in \(dataDirectory), log in \(logPath))")
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ErrandError(.unreachable, "started a daemon but it did not answer at \(client.baseURL) within 10 s; see \(logPath)")
    }

    /// posix_spawn with a new session; stdin from /dev/null, stdout and stderr appended to the log.
    private static func spawnDetached(_ argv: [String], logPath: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        let setsid: Int16 = 0x80  // glibc's POSIX_SPAWN_SETSID, which Swift does not import
        posix_spawnattr_setflags(&attributes, setsid)
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, argv[0], &actions, &attributes, &cArguments, environ)
        guard status == 0 else {
            throw ErrandError(.unavailable, "could not start a daemon (\(argv[0])): \(String(cString: strerror(status)))")
        }
    }
}
