import ErrandCore
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A plain TCP connection to a daemon, to be slow, idle or greedy on purpose as no HTTP client is.
final class RawConnection {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw ErrandError(.unreachable, "cannot connect to 127.0.0.1:\(port): errno \(errno)")
        }
    }

    deinit { close(descriptor) }

    /// Sends all of `bytes`; false when the daemon closed the connection meanwhile.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return false }
            sent += count
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads until the daemon closes the connection or `timeout` passes: what came, and whether it closed.
    func readUntilClosed(timeout: Duration) -> (text: String, closed: Bool) {
        let deadline = ContinuousClock.now + timeout
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < deadline {
            let left = deadline - ContinuousClock.now
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
            if ready == 0 { break }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return (String(decoding: received, as: UTF8.self), true) }
            received += buffer[..<count]
        }
        return (String(decoding: received, as: UTF8.self), false)
    }

    /// Reads one response with a `Content-Length` (the daemon keeps the connection open after it).
    func readResponse(timeout: Duration) -> String {
        let deadline = ContinuousClock.now + timeout
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < deadline {
            let text = String(decoding: received, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n"),
                let length = text[..<end.lowerBound].split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-length:") })
                    .flatMap({ Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }),
                text.utf8.count - text[..<end.upperBound].utf8.count >= length
            {
                return text
            }
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 100) >= 0 else { break }
            if entry.revents == 0 { continue }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received += buffer[..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }
}

/// Header, body and keep-alive timeouts, connection limits and the body limit, on a real daemon over real sockets.
@Suite("connection limits end to end", .timeLimit(.minutes(3)))
struct ConnectionLimitTests {
    static let healthz = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

    @Test("a partial head, a stalled body and an idle kept-alive connection are each closed after their short configured timeout")
    func timeouts() async throws {
        let daemon = try Daemon()
        daemon.serveArguments = ["--header-timeout", "1s", "--body-timeout", "1500ms", "--keep-alive-timeout", "2"]
        try await daemon.start()
        defer { daemon.stop() }

        let started = ContinuousClock.now
        let slowHead = try RawConnection(port: daemon.port)
        slowHead.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        let silent = try RawConnection(port: daemon.port)
        let stalledBody = try RawConnection(port: daemon.port)
        stalledBody.send(
            "POST /api/v1/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"argv\":")
        let keptAlive = try RawConnection(port: daemon.port)
        keptAlive.send(Self.healthz)
        #expect(keptAlive.readResponse(timeout: .seconds(5)).hasPrefix("HTTP/1.1 200"))
        let answered = ContinuousClock.now

        let head = slowHead.readUntilClosed(timeout: .seconds(10))
        #expect(head.closed && head.text.isEmpty, "a partial head: \(head)")
        #expect(ContinuousClock.now - started >= .milliseconds(900))
        #expect(silent.readUntilClosed(timeout: .seconds(10)).closed)
        let body = stalledBody.readUntilClosed(timeout: .seconds(10))
        #expect(body.closed && !body.text.contains("201"), "a stalled body: \(body)")
        #expect(keptAlive.readUntilClosed(timeout: .seconds(10)).closed)
        #expect(ContinuousClock.now - answered >= .milliseconds(1900))
        #expect(ContinuousClock.now - started < .seconds(8))

        // A client that is not slow is not affected.
        #expect(try await daemon.run(["version"]).status == 0)
    }

    @Test("past --max-connections-per-client a connection gets 503 at once; once the others close the CLI works again")
    func perClient() async throws {
        let daemon = try Daemon()
        daemon.serveArguments = ["--max-connections-per-client", "3"]
        try await daemon.start()
        defer { daemon.stop() }

        // Three kept-alive connections, each known to be admitted (it was answered).
        var held: [RawConnection] = []
        for _ in 0..<3 {
            let connection = try RawConnection(port: daemon.port)
            connection.send(Self.healthz)
            #expect(connection.readResponse(timeout: .seconds(5)).hasPrefix("HTTP/1.1 200"))
            held.append(connection)
        }
        let extra = try RawConnection(port: daemon.port)
        extra.send(Self.healthz)
        let refused = extra.readUntilClosed(timeout: .seconds(5))
        #expect(refused.closed)
        #expect(refused.text.hasPrefix("HTTP/1.1 503"), "\(refused.text)")
        #expect(refused.text.contains("application/json") && refused.text.contains("--max-connections-per-client"))
        let blocked = try await daemon.run(["get"])
        #expect(blocked.status != 0)
        let log = try String(contentsOfFile: daemon.dataDirectory + "/serve.log", encoding: .utf8)
        #expect(log.contains("refused 1 connection(s)") && log.contains("--max-connections-per-client"))

        held.removeAll()
        var outcome = try await daemon.run(["get"])
        for _ in 0..<20 where outcome.status != 0 {
            try await Task.sleep(for: .milliseconds(100))  // the daemon counts a closed connection out when it sees it close
            outcome = try await daemon.run(["get"])
        }
        #expect(outcome.status == 0, "\(outcome.stderr)")
    }

    @Test("a 3 MB JSON body gets 413 with a JSON error, and the daemon goes on")
    func bodyTooLarge() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        defer { daemon.stop() }

        let body = Array(#"{"argv":["echo",""#.utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 3_000_000) + Array(#""]}"#.utf8)
        let connection = try RawConnection(port: daemon.port)
        connection.send(
            "POST /api/v1/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n")
        connection.send(body)
        let response = connection.readResponse(timeout: .seconds(20))
        #expect(response.hasPrefix("HTTP/1.1 413"), "\(response.prefix(300))")
        let json = try #require(response.range(of: "\r\n\r\n").map { response[$0.upperBound...] })
        let error = try JSONCoding.decoder().decode(ErrorBody.self, from: Data(json.utf8)).error
        #expect(error.code == .tooLarge)
        #expect(try await daemon.run(["version"]).status == 0)
    }

    @Test(
        "a bad limit is a usage error naming its flag",
        arguments: [
            ["--header-timeout", "0"], ["--body-timeout", "1e300"], ["--keep-alive-timeout", "nan"], ["--max-connections", "0"],
            ["--max-connections-per-client", "-1"], ["--max-body-bytes", "99999999999999999999"],
        ])
    func badValue(_ arguments: [String]) async throws {
        let outcome = try await errand(["serve", "--listen", "127.0.0.1:0"] + arguments)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(arguments[0]), "\(outcome.stderr)")
    }
}
