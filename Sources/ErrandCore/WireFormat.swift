import Foundation

/// Version of this build, shown by `errand version` and `/healthz`.
public enum ErrandVersion {
    public static let current = "0.1.0"
}

/// JSON as the API writes and reads it: ISO-8601 times with milliseconds, sorted keys.
public enum JSONCoding {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(.iso8601WithMilliseconds))
        }
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
            if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not an ISO-8601 time: \(text)"))
        }
        return decoder
    }
}

extension FormatStyle where Self == Date.ISO8601FormatStyle {
    public static var iso8601WithMilliseconds: Date.ISO8601FormatStyle {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    }
}

/// An output chunk on the wire: `text` when its bytes are UTF-8, else `data` in base64, so
/// binary output crosses JSON intact.
public struct WireChunk: Codable, Sendable, Equatable {
    public var seq: Int64
    public var time: Date
    public var stream: OutputChannel
    public var text: String?
    public var data: String?
    /// The host the chunk came from, in a fan-out's merged output.
    public var host: String?

    public init(_ chunk: OutputChunk) {
        seq = chunk.seq
        time = chunk.time
        stream = chunk.stream
        host = chunk.host
        if let text = String(validating: chunk.bytes, as: UTF8.self) {
            self.text = text
        } else {
            data = Data(chunk.bytes).base64EncodedString()
        }
    }

    public var chunk: OutputChunk {
        let bytes: [UInt8] = text.map { Array($0.utf8) } ?? data.flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) } ?? []
        return OutputChunk(seq: seq, time: time, stream: stream, bytes: bytes, host: host)
    }
}

/// A page of output as `GET …/output` and `POST …/receive` return it.
public struct OutputPageBody: Codable, Sendable {
    public var records: [WireChunk]
    /// Position to read on from (`after` of the next read).
    public var next: Int64
    public var run: Run

    public init(records: [WireChunk], next: Int64, run: Run) {
        self.records = records
        self.next = next
        self.run = run
    }
}

/// The answer of `GET /api/v1/runs/wait`.
public struct WaitBody: Codable, Sendable {
    public var done: Bool
    public var runs: [Run]

    public init(done: Bool, runs: [Run]) {
        self.done = done
        self.runs = runs
    }
}

/// The answer of `/healthz` and `/api/v1/version`.
public struct HealthBody: Codable, Sendable {
    /// `ok`, or `degraded` while the store cannot write (the daemon answers, runs go on, new runs get 503).
    public var status: String
    public var version: String
    public var instance: String
    /// Why the daemon is degraded.
    public var problem: String?
    /// Where the daemon keeps its runs: `sqlite:PATH` or `postgres://USER@HOST:PORT/DATABASE` (never a password).
    public var store: String?

    public init(
        status: String = "ok", version: String = ErrandVersion.current, instance: String, problem: String? = nil,
        store: String? = nil
    ) {
        self.status = status
        self.version = version
        self.instance = instance
        self.problem = problem
        self.store = store
    }

    /// `degraded` with the problem when there is one, else `ok`.
    public static func reporting(_ problem: String?, instance: String, store: String?) -> HealthBody {
        HealthBody(status: problem == nil ? "ok" : "degraded", instance: instance, problem: problem, store: store)
    }
}

/// Every API error: `{"error": {"code": …, "message": …}}`.
public struct ErrorBody: Codable, Sendable {
    public var error: ErrandError
    public init(error: ErrandError) { self.error = error }
}
