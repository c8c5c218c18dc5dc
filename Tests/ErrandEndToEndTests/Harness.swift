import ErrandCore
import Foundation
import Subprocess
import Testing

#if canImport(Glibc)
    import Glibc
#endif
#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// The real `errand` binary, built by `swift test` beside the test bundle (or `$ERRAND_BIN`).
enum Binary {
    static let path: String = {
        if let explicit = ProcessInfo.processInfo.environment["ERRAND_BIN"] { return explicit }
        let testBundle = URL(fileURLWithPath: Swift.CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBundle.deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent("errand").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return ".build/debug/errand"
    }()
}

/// What a finished command printed and how it exited.
struct Outcome {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `errand ARGS…` and collects its output.
func errand(_ arguments: [String], environment: [String: String] = [:]) async throws -> Outcome {
    var env: [Environment.Key: String?] = ["ERRAND_NO_AUTOSTART": "1"]
    for (key, value) in environment { env[Environment.Key(rawValue: key)!] = value }
    let result = try await Subprocess.run(
        .path(FilePath(Binary.path)), arguments: Arguments(arguments), environment: .inherit.updating(env),
        output: .string(limit: 16 * 1024 * 1024), error: .string(limit: 1024 * 1024))
    let status: Int32 =
        switch result.terminationStatus {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    return Outcome(status: status, stdout: result.standardOutput, stderr: result.standardError)
}

/// A throwaway `errand serve` on a free loopback port with its own data dir.
final class Daemon: @unchecked Sendable {
    private(set) var port: Int
    let dataDirectory: String
    private(set) var pid: pid_t = 0
    /// Extra `errand serve` options (tokens, TLS) and where it listens.
    var serveArguments: [String] = []
    var listenHost = "127.0.0.1"
    /// Runs `errand serve` through this (e.g. a shell that sets a limit first: `sh -c '…; exec "$0" "$@"'`).
    var launchPrefix: [String] = []
    var scheme = "http"
    /// Environment of every client call through this daemon (ERRAND_TOKEN, ERRAND_CA_FILE).
    var clientEnvironment: [String: String] = [:]
    var url: String { "\(scheme)://127.0.0.1:\(port)" }

    init(dataDirectory: String? = nil) throws {
        port = try Self.freePort()
        if let dataDirectory {
            self.dataDirectory = dataDirectory
        } else {
            self.dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("errand-e2e-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: self.dataDirectory, withIntermediateDirectories: true)
        }
    }

    /// Starts the daemon and waits until it answers. The free port is only free when it was looked up,
    /// and tests start daemons in parallel: a daemon that lost its port to another exits, and is started
    /// again on a new one. The daemon's own log saying it listens proves that the answer is its own.
    func start() async throws {
        let log = dataDirectory + "/serve.log"
        // What this start writes: the log may hold an earlier life of the daemon (a restart test).
        func written(since offset: Int) -> String {
            let data = FileManager.default.contents(atPath: log) ?? Data()
            return String(decoding: data.dropFirst(offset), as: UTF8.self)
        }
        for attempt in 0..<5 {
            if attempt > 0 { port = try Self.freePort() }
            let offset = FileManager.default.contents(atPath: log)?.count ?? 0
            pid = try spawn(
                launchPrefix + [Binary.path, "serve", "--listen", "\(listenHost):\(port)", "--data-dir", dataDirectory] + serveArguments,
                log: log)
            for _ in 0..<100 {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid {
                    pid = 0
                    break  // exited: its port was taken meanwhile (or it refused to start: the log says)
                }
                if written(since: offset).contains("listening on"),
                    try await errand(["--host", url, "version"], environment: clientEnvironment).status == 0
                {
                    return
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let text = written(since: offset)
            guard text.contains("Address already in use") else {
                throw ErrandError(.unreachable, "the daemon did not answer; log: \(text)")
            }
        }
        throw ErrandError(.unreachable, "no free port for the daemon after 5 attempts")
    }

    /// Sends `signal` and reaps the daemon without holding the caller's thread for long: it waits at most
    /// 100 ms here, then leaves the reaping to a thread of its own. A blocking wait for a daemon's graceful
    /// shutdown (seconds, with runs to stop) would hold one of Swift's cooperative threads — two of them on
    /// this machine — and stall every other test in the process. Tests that need the daemon gone (a restart
    /// on its data dir, its processes checked) use ``stopAndWait(_:)``.
    func stop(_ signal: Int32 = SIGTERM) {
        guard pid > 0 else { return }
        let pid = self.pid
        self.pid = 0
        kill(pid, signal)
        var status: Int32 = 0
        for _ in 0..<20 {
            if waitpid(pid, &status, WNOHANG) == pid { return }
            usleep(5000)
        }
        Thread.detachNewThread {
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }

    /// Sends `signal` and returns once the daemon has exited (polling, so no thread is held meanwhile).
    func stopAndWait(_ signal: Int32 = SIGTERM) async {
        guard pid > 0 else { return }
        let pid = self.pid
        self.pid = 0
        kill(pid, signal)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 { try? await Task.sleep(for: .milliseconds(10)) }
    }

    deinit { stop(SIGKILL) }

    /// `errand --host URL ARGS…`.
    func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Outcome {
        try await errand(["--host", url] + arguments, environment: clientEnvironment.merging(environment) { $1 })
    }

    /// Starts a run and returns its id.
    func start(_ command: [String], options: [String] = []) async throws -> Int64 {
        let outcome = try await run(["start", "--json"] + options + ["--"] + command)
        #expect(outcome.status == 0, "start failed: \(outcome.stderr)")
        let run = try JSONCoding.decoder().decode(Run.self, from: Data(outcome.stdout.utf8))
        return run.id
    }

    func get(_ id: Int64) async throws -> Run {
        let outcome = try await run(["get", String(id), "--json"])
        return try #require(try JSONCoding.decoder().decode([Run].self, from: Data(outcome.stdout.utf8)).first)
    }

    static func freePort() throws -> Int {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socketDescriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                guard bind(socketDescriptor, socketAddress, length) == 0, getsockname(socketDescriptor, socketAddress, &length) == 0 else {
                    throw ErrandError(.internal, "no free port")
                }
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// posix_spawn of a long-running helper with its output in a log file.
func spawn(_ argv: [String], log: String) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    var cArguments = argv.map { strdup($0) } + [nil]
    defer { cArguments.forEach { free($0) } }
    var pid: pid_t = 0
    let status = posix_spawn(&pid, argv[0], &actions, nil, &cArguments, environ)
    guard status == 0 else { throw ErrandError(.internal, "cannot spawn \(argv[0]): \(status)") }
    return pid
}

/// Processes whose whole command line is `commandLine`.
func processCount(commandLine: String) -> Int {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.filter { entry in
        guard Int(entry) != nil, let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return false }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ") == commandLine
    }.count
}
