import Foundation

/// What a client asks for when it starts a run (`errand start`, `POST /api/v1/runs`).
public struct RunRequest: Codable, Sendable, Equatable {
    /// The executable (a path, or a name looked up in the run's `PATH`) and its arguments.
    public var argv: [String]
    public var name: String?
    public var workingDirectory: String?
    /// The complete environment of the process (the client sends its own, as a shell's `&` would).
    public var environment: [String: String]?
    public var throttleGroup: String?
    /// Changes the limit of the run's throttle group from now on.
    public var throttleLimit: Int?
    /// Seconds after which the run is stopped and recorded `Failed`.
    public var timeout: Double?
    /// The session the run belongs to: it shows in the session's job list and is received with its cursor.
    public var session: String?
    /// The instance of a fleet to run on (a name, or `any`: the first with a free slot); nil: the one asked.
    public var instance: String?

    public init(
        argv: [String], name: String? = nil, workingDirectory: String? = nil, environment: [String: String]? = nil,
        throttleGroup: String? = nil, throttleLimit: Int? = nil, timeout: Double? = nil,
        session: String? = nil, instance: String? = nil
    ) {
        self.instance = instance
        self.argv = argv
        self.name = name
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.throttleGroup = throttleGroup
        self.throttleLimit = throttleLimit
        self.timeout = timeout
        self.session = session
    }

    /// Checks what can be checked without the machine: names, numbers, an empty command.
    public func validated() throws(ErrandError) -> RunRequest {
        guard let executable = argv.first, !executable.isEmpty else {
            throw .badRequest("the command is empty: give the program to run after `--`, e.g. `errand start -- sleep 10`")
        }
        if let name { try Names.validate(name, what: "run name") }
        if let throttleGroup { try Names.validate(throttleGroup, what: "throttle group") }
        if let session { try Names.validate(session, what: "session name") }
        if let instance { try InstanceRecord.checkName(instance, field: "instance") }
        if let throttleLimit { _ = try InputBounds.count(throttleLimit, field: "throttleLimit", min: 1) }
        if let timeout {
            guard timeout > 0 else { throw .badRequest("timeout must be a positive number of seconds, got \(timeout)") }
            _ = try InputBounds.seconds(timeout, field: "timeout", max: InputBounds.maxTimeoutSeconds)
        }
        if let workingDirectory, workingDirectory.isEmpty || workingDirectory.contains("\0") {
            throw .badRequest("workingDirectory must be a non-empty path without NUL bytes")
        }
        if let environment, let bad = environment.keys.first(where: { $0.isEmpty || $0.contains("=") || $0.contains("\0") }) {
            throw .badRequest("invalid environment variable name '\(bad)'")
        }
        if let environment, let bad = environment.first(where: { $0.value.contains("\0") }) {
            throw .badRequest("the value of environment variable '\(bad.key)' contains a NUL byte")
        }
        if argv.contains(where: { $0.contains("\0") }) { throw .badRequest("arguments cannot contain NUL bytes") }
        return self
    }
}
