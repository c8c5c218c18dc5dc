import ErrandCore
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `errand invoke` against real daemons (one with tokens, one with tokens and TLS) and a real
/// OpenSSH server on 127.0.0.1, driven through the real CLI.
@Suite(
    "Fan-out to daemons and SSH hosts",
    .serialized,
    .enabled(
        if: SSHServer.program != nil || ProcessInfo.processInfo.environment["CI"] == "true",
        "sshd is not installed (.ci/run installs openssh-server)"))
struct FanOutTests {
    /// Three daemons, an sshd and a hosts file naming the two remote daemons `a` and `b`.
    final class Fleet: @unchecked Sendable {
        let directory: String
        let local: Daemon
        let a: Daemon
        let b: Daemon
        let ssh: SSHServer
        let tokens: [String]
        var config: [String: String]

        init() async throws {
            directory = try SecurityEndToEndTests.temporaryDirectory()
            ssh = try await SSHServer.start(in: directory + "/sshd")
            let certificate = directory + "/cert.pem"
            let key = directory + "/key.pem"
            let made = try await runProgram(
                try #require(which("openssl"), "openssl is needed for the TLS daemon"),
                [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                ])
            #expect(made.status == 0, "openssl: \(made.stderr)")

            a = try Daemon()
            let tokenA = try await SecurityEndToEndTests.createToken("fan", "operator", ["--data-dir", a.dataDirectory])
            a.serveArguments = ["--require-tokens", "--instance", "host-a"]
            a.clientEnvironment = ["ERRAND_TOKEN": tokenA]
            try await a.start()

            b = try Daemon()
            let tokenB = try await SecurityEndToEndTests.createToken("fan", "operator", ["--data-dir", b.dataDirectory])
            b.scheme = "https"
            b.serveArguments = ["--require-tokens", "--tls-cert", certificate, "--tls-key", key, "--instance", "host-b"]
            b.clientEnvironment = ["ERRAND_TOKEN": tokenB, "ERRAND_CA_FILE": certificate]
            try await b.start()

            local = try Daemon()
            local.serveArguments = ["--ssh-config", ssh.clientConfig]
            try await local.start()
            tokens = [tokenA, tokenB]

            config = ["XDG_CONFIG_HOME": directory + "/config"]
            for (name, daemon, token) in [("a", a, tokenA), ("b", b, tokenB)] {
                let file = directory + "/\(name).token"
                try token.write(toFile: file, atomically: true, encoding: .utf8)
                var arguments = ["host", "add", name, daemon.url, "--token-file", file]
                if daemon.scheme == "https" { arguments += ["--ca-file", certificate] }
                let added = try await errand(arguments, environment: config)
                #expect(added.status == 0, "host add \(name): \(added.stderr)")
            }
        }

        /// `errand --host LOCAL ARGS…` with the hosts file.
        func run(_ arguments: [String]) async throws -> Outcome {
            try await local.run(arguments, environment: config)
        }

        /// Starts a fan-out and returns the parent as `invoke --json` printed it.
        func invoke(_ options: [String], _ command: [String]) async throws -> Run {
            let outcome = try await run(["invoke", "--json"] + options + ["--"] + command)
            #expect(outcome.status == 0, "invoke: \(outcome.stderr)")
            return try JSONCoding.decoder().decode(Run.self, from: Data(outcome.stdout.utf8))
        }

        func children(of parent: Int64) async throws -> [Run] {
            let outcome = try await run(["get", "--parent", String(parent), "--json"])
            return try JSONCoding.decoder().decode([Run].self, from: Data(outcome.stdout.utf8))
        }

        func waitFor(_ id: Int64) async throws {
            let waited = try await run(["wait", String(id), "--timeout", "60"])
            #expect(waited.status == 0, "wait \(id): \(waited.stderr)")
        }

        func stop() {
            for daemon in [local, a, b] { daemon.stop() }
            ssh.stop()
        }
    }

    @Test("a,b,ssh://…: a parent with three children whose output comes back labelled, received by a later client")
    func threeHosts() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        let sshHost = fleet.ssh.url
        let parent = try await fleet.invoke(
            ["--on", "a,b,\(sshHost)", "--name", "fan"], ["sh", "-c", "hostname; echo id=$ERRAND_RUN_ID"])
        #expect(parent.type == .remoteJob)
        #expect(parent.state == .running)
        #expect(parent.location == "a,b,\(sshHost)")
        #expect(parent.name == "fan")

        // The invoking client has exited; a new one waits and receives.
        try await fleet.waitFor(parent.id)
        let finished = try await fleet.local.get(parent.id)
        #expect(finished.state == .completed, "\(finished.reason ?? "")")
        let children = try await fleet.children(of: parent.id)
        #expect(children.map(\.location) == ["a", "b", sshHost])
        #expect(children.allSatisfy { $0.state == .completed && $0.parentId == parent.id && $0.type == .remoteJob })
        #expect(children.allSatisfy { $0.exitCode == 0 })

        let received = try await fleet.run(["receive", String(parent.id)])
        #expect(received.status == 0, "\(received.stderr)")
        // What the command's own `hostname` prints here (every host of the test is this machine).
        let hostname = try await runProgram(try #require(which("hostname")), []).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var lines = received.stdout.split(separator: "\n").map(String.init)
        for label in ["a", "b", sshHost] {
            #expect(lines.contains("[\(label)] \(hostname)"), "no hostname from \(label) in \(received.stdout)")
            #expect(lines.contains { $0.hasPrefix("[\(label)] id=") }, "no run id from \(label) in \(received.stdout)")
        }
        // Over SSH the run id is the local child's (there is no daemon there to number it).
        let sshChild = try #require(children.last)
        #expect(lines.contains("[\(sshHost)] id=\(sshChild.id)"))
        #expect(lines.count == 6)
        // Received: a second receive has nothing new; logs still has everything.
        #expect(try await fleet.run(["receive", String(parent.id)]).stdout.isEmpty)
        lines = try await fleet.run(["logs", String(parent.id)]).stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 6)

        // JSON records carry the host; each child also has its own output.
        let records = try await fleet.run(["receive", String(parent.id), "--keep", "--reader", "json", "--json"])
        let decoded = try records.stdout.split(separator: "\n").map {
            try JSONCoding.decoder().decode(OutputLine.self, from: Data($0.utf8))
        }
        #expect(Set(decoded.compactMap(\.host)) == ["a", "b", sshHost])
        // Delivered once (PowerShell's rule): receiving the parent consumed its children's output, so a child has
        // nothing left for that reader, and neither has more data; another reader gets the child's own output.
        #expect(try await fleet.run(["receive", String(children[0].id)]).stdout.isEmpty)
        let after = try JSONCoding.decoder().decode(
            [Run].self, from: Data(try await fleet.run(["get", "--include-children", "--json"]).stdout.utf8))
        let fanOut = after.filter { $0.id == parent.id || $0.parentId == parent.id }
        #expect(fanOut.count == 4 && fanOut.allSatisfy { !$0.hasMoreData }, "\(fanOut.map { ($0.id, $0.hasMoreData) })")
        #expect(try await fleet.run(["receive", String(children[0].id), "--reader", "other"]).stdout.contains(hostname))

        // The output came home: the daemons kept nothing (no --keep-remote).
        for daemon in [fleet.a, fleet.b] {
            let left = try await daemon.run(["get", "--json"])
            #expect(try JSONCoding.decoder().decode([Run].self, from: Data(left.stdout.utf8)).isEmpty, "\(left.stdout) \(left.stderr)")
        }
        // Children are hidden from a plain list, shown with --include-children.
        let plain = try JSONCoding.decoder().decode([Run].self, from: Data(try await fleet.run(["get", "--json"]).stdout.utf8))
        #expect(plain.map(\.id) == [parent.id])
        let all = try await fleet.run(["get", "--include-children"])
        #expect(all.stdout.split(separator: "\n").count == 2 + 4)

        // Tokens of the hosts never reach a log.
        fleet.stop()
        let log = try String(contentsOfFile: fleet.local.dataDirectory + "/serve.log", encoding: .utf8)
        for token in fleet.tokens { #expect(!log.contains(token)) }
    }

    @Test("one host down: its child fails with the reason, the others complete, the parent is Failed (PowerShell's rule)")
    func hostDown() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        let deadPort = try Daemon.freePort()
        #expect(try await errand(["host", "add", "down", "http://127.0.0.1:\(deadPort)"], environment: fleet.config).status == 0)
        let parent = try await fleet.invoke(["--on", "a,down,b"], ["echo", "hello"])
        try await fleet.waitFor(parent.id)
        let finished = try await fleet.local.get(parent.id)
        #expect(finished.state == .failed)
        #expect(finished.reason == "1 of 3 hosts failed: down")
        let children = try await fleet.children(of: parent.id)
        #expect(children.map(\.state) == [.completed, .failed, .completed])
        #expect(children[1].reason?.contains("no daemon answers at http://127.0.0.1:\(deadPort)") == true, "\(children[1].reason ?? "")")
        let received = try await fleet.run(["receive", String(parent.id)])
        #expect(received.stdout == "[a] hello\n[b] hello\n" || received.stdout == "[b] hello\n[a] hello\n", "\(received.stdout)")
        #expect(received.stderr.contains("[down] errand: could not start the command on down"))

        // An SSH host that refuses connections fails its child the same way, with ssh's own words.
        let closed = try Daemon.freePort()
        let overSSH = try await fleet.invoke(["--on", "ssh://nobody@127.0.0.1:\(closed)"], ["true"])
        try await fleet.waitFor(overSSH.id)
        let child = try #require(try await fleet.children(of: overSSH.id).first)
        #expect(child.state == .failed)
        #expect(child.reason?.contains("Connection refused") == true, "\(child.reason ?? "")")
        #expect(try await fleet.local.get(overSSH.id).state == .failed)
    }

    @Test("stop on the parent stops every child, on the daemon and over SSH (the remote process group is killed)")
    func stopParent() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        let marker = "sleep 3\(Int.random(in: 100...999))"
        let parent = try await fleet.invoke(["--on", "a,\(fleet.ssh.url)"], ["sh", "-c", "echo started; \(marker); echo never"])
        // Both children have started once both said so.
        var seen = ""
        for _ in 0..<100 {
            seen += try await fleet.run(["receive", String(parent.id)]).stdout
            if seen.contains("[a] started") && seen.contains("[\(fleet.ssh.url)] started") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(seen.contains("[a] started") && seen.contains("[\(fleet.ssh.url)] started"), "\(seen)")
        #expect(processCount(commandLine: marker) == 2)

        let stopped = try await fleet.run(["stop", String(parent.id), "--json"])
        #expect(stopped.status == 0, "\(stopped.stderr)")
        let parentAfter = try await fleet.local.get(parent.id)
        #expect(parentAfter.state == .stopped)
        let children = try await fleet.children(of: parent.id)
        #expect(children.map(\.state) == [.stopped, .stopped])
        #expect(children.allSatisfy { $0.reason == "stopped with its fan-out parent, run \(parent.id)" })
        for _ in 0..<50 where processCount(commandLine: marker) > 0 { try await Task.sleep(for: .milliseconds(100)) }
        #expect(processCount(commandLine: marker) == 0)
        #expect(!(try await fleet.run(["logs", String(parent.id)]).stdout.contains("never")))

        // Removing the parent removes its children.
        #expect(try await fleet.run(["remove", String(parent.id)]).status == 0)
        #expect(try await fleet.run(["get", String(children[0].id)]).status == 1)
    }

    @Test("--keep-remote leaves the output on the host; the throttle limit holds children back; bad requests are refused")
    func keepRemoteAndLimits() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        let parent = try await fleet.invoke(["--on", "a", "--keep-remote"], ["echo", "kept there"])
        try await fleet.waitFor(parent.id)
        #expect(try await fleet.local.get(parent.id).state == .completed)
        let logs = try await fleet.run(["logs", String(parent.id)]).stdout
        #expect(!logs.contains("kept there"))
        let note = try #require(logs.split(separator: "\n").first { $0.contains("output kept on a as run") })
        let remoteID = try #require(note.split(separator: " ").compactMap { Int64($0) }.first)
        #expect(try await fleet.a.run(["receive", String(remoteID)]).stdout == "kept there\n")
        #expect(try await fleet.a.get(remoteID).name == parent.name)

        // A large output comes home whole, page by page, in order.
        let big = try await fleet.invoke(["--on", "b"], ["seq", "1", "200000"])
        try await fleet.waitFor(big.id)
        let bigLog = try await fleet.run(["logs", String(big.id)]).stdout.split(separator: "\n")
        #expect(bigLog.count == 200_000)
        #expect(bigLog.first == "[b] 1" && bigLog.last == "[b] 200000")
        #expect(bigLog.enumerated().allSatisfy { $0.element == "[b] \($0.offset + 1)" })

        // --throttle-limit 1: the second child waits NotStarted while the first runs.
        let serial = try await fleet.invoke(["--on", "a,b", "--throttle-limit", "1"], ["sleep", "1"])
        var states = try await fleet.children(of: serial.id).map(\.state)
        for _ in 0..<50 where states.first != .running {
            try await Task.sleep(for: .milliseconds(50))
            states = try await fleet.children(of: serial.id).map(\.state)
        }
        #expect(states == [.running, .notStarted])
        try await fleet.waitFor(serial.id)
        #expect(try await fleet.children(of: serial.id).map(\.state) == [.completed, .completed])

        let unknown = try await fleet.run(["invoke", "--on", "a,nowhere", "--", "true"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no host named 'nowhere' (known: a, b)"))
        let twice = try await fleet.run(["invoke", "--on", "a,a", "--", "true"])
        #expect(twice.status == 1)
        #expect(twice.stderr.contains("host 'a' is named twice"))
        let badSSH = try await fleet.run(["invoke", "--on", "ssh://-oProxyCommand=x", "--", "true"])
        #expect(badSSH.status == 1)
        #expect(badSSH.stderr.contains("is not an SSH address"))
        let withPassword = try await fleet.run(["invoke", "--on", "http://u:secret@127.0.0.1:1", "--", "true"])
        #expect(withPassword.stderr.contains("put no user or password in the URL"))
        // Host tokens never cross the network in clear text (refused before anything is sent).
        let clear = try await errand(
            ["--host", "http://10.255.255.1:9", "invoke", "--on", "a", "--", "true"], environment: fleet.config)
        #expect(clear.status == 1)
        #expect(clear.stderr.contains("in clear text"))
        // A wide fan-out's location is shortened in the table, whole in JSON.
        let closed = try Daemon.freePort()
        let many = (1...6).map { "http://127.0.0.1:\(closed)/h\($0)" }
        let wide = try await fleet.invoke(["--on", many.joined(separator: ",")], ["true"])
        try await fleet.waitFor(wide.id)
        #expect(try await fleet.run(["get", String(wide.id)]).stdout.contains(",… (6 hosts)"))
        #expect(try await fleet.local.get(wide.id).location == many.joined(separator: ","))
        #expect(try await fleet.run(["invoke", "--", "true"]).status == 2)
        #expect(try await fleet.run(["invoke", "--on", "a"]).stderr.contains("the command is empty"))
    }
}

/// A throwaway OpenSSH server on a free loopback port, with its own host key, one client key and a
/// client config that trusts exactly that host key (so BatchMode's host-key check passes).
final class SSHServer: @unchecked Sendable {
    static var program: String? {
        ["/usr/sbin/sshd", "/usr/local/sbin/sshd"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    let port: Int
    let clientConfig: String
    let user: String
    private var pid: pid_t
    var url: String { "ssh://\(user)@127.0.0.1:\(port)" }

    private init(port: Int, clientConfig: String, user: String, pid: pid_t) {
        self.port = port
        self.clientConfig = clientConfig
        self.user = user
        self.pid = pid
    }

    static func start(in directory: String) async throws -> SSHServer {
        let sshd = try #require(program, "sshd is not installed")
        let keygen = try #require(which("ssh-keygen"), "ssh-keygen is not installed")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for key in ["host_key", "client_key"] {
            let made = try await runProgram(keygen, ["-q", "-t", "ed25519", "-N", "", "-f", "\(directory)/\(key)"])
            #expect(made.status == 0, "ssh-keygen: \(made.stderr)")
        }
        try FileManager.default.copyItem(atPath: "\(directory)/client_key.pub", toPath: "\(directory)/authorized_keys")
        if getuid() == 0 {
            // sshd running as root wants its privilege-separation folder.
            try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        }
        let port = try Daemon.freePort()
        try """
        Port \(port)
        ListenAddress 127.0.0.1
        HostKey \(directory)/host_key
        AuthorizedKeysFile \(directory)/authorized_keys
        PidFile \(directory)/sshd.pid
        UsePAM no
        StrictModes no
        PermitRootLogin prohibit-password
        PasswordAuthentication no
        KbdInteractiveAuthentication no

        """.write(toFile: "\(directory)/sshd_config", atomically: true, encoding: .utf8)
        let hostKey = try String(contentsOfFile: "\(directory)/host_key.pub", encoding: .utf8)
        try "[127.0.0.1]:\(port) \(hostKey)".write(toFile: "\(directory)/known_hosts", atomically: true, encoding: .utf8)
        let clientConfig = "\(directory)/ssh_config"
        try """
        Host *
          IdentityFile \(directory)/client_key
          IdentitiesOnly yes
          UserKnownHostsFile \(directory)/known_hosts
          StrictHostKeyChecking yes

        """.write(toFile: clientConfig, atomically: true, encoding: .utf8)
        let pid = try spawn([sshd, "-D", "-e", "-f", "\(directory)/sshd_config"], log: "\(directory)/sshd.log")
        let user = String(cString: getpwuid(getuid()).pointee.pw_name)
        let server = SSHServer(port: port, clientConfig: clientConfig, user: user, pid: pid)
        let ssh = try #require(which("ssh"), "ssh is not installed")
        for _ in 0..<100 {
            let probe = try await runProgram(
                ssh, ["-F", clientConfig, "-o", "BatchMode=yes", "-p", String(port), "-l", user, "--", "127.0.0.1", "true"])
            if probe.status == 0 { return server }
            try await Task.sleep(for: .milliseconds(100))
        }
        let log = (try? String(contentsOfFile: "\(directory)/sshd.log", encoding: .utf8)) ?? ""
        server.stop()
        throw ErrandError(.unreachable, "sshd did not accept the test key; its log: \(log)")
    }

    func stop() {
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        pid = 0
    }

    deinit { stop() }
}
