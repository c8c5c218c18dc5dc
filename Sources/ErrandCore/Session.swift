import Foundation

/// A session's connection state (PowerShell's PSSession `State`, reduced to what a daemon-kept session needs).
public enum SessionState: String, Codable, Sendable, CaseIterable {
    case connected = "Connected"
    case disconnected = "Disconnected"
}

/// A named reader kept by the daemon, not by the client: it has its own receive cursors and its own
/// runs, and can be disconnected and connected again from any client. Field names are the API's contract.
public struct Session: Codable, Sendable, Equatable {
    public var name: String
    public var state: SessionState
    public var createdAt: Date
    /// The last time a client used the session (created, connected, started, listed or received through it).
    public var lastSeenAt: Date
    /// When it was disconnected; nil while connected.
    public var disconnectedAt: Date?
    /// Seconds a disconnected session is kept before it expires.
    public var idleTimeout: Double
    /// Stop the session's unfinished runs when it expires (else they go on, in no session's care).
    public var stopOnExpire: Bool

    public init(
        name: String, state: SessionState = .connected, createdAt: Date, lastSeenAt: Date? = nil, disconnectedAt: Date? = nil,
        idleTimeout: Double = Sessions.defaultIdleTimeout, stopOnExpire: Bool = false
    ) {
        self.name = name
        self.state = state
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt ?? createdAt
        self.disconnectedAt = disconnectedAt
        self.idleTimeout = idleTimeout
        self.stopOnExpire = stopOnExpire
    }

    /// When the session expires: only a disconnected session does, `idleTimeout` after it was disconnected.
    public var expiresAt: Date? {
        guard state == .disconnected else { return nil }
        return (disconnectedAt ?? lastSeenAt).addingTimeInterval(idleTimeout)
    }

    /// The expiry decision, a pure function of the session and the time, so it is tested without waiting hours.
    public func isExpired(at now: Date) -> Bool {
        guard let expiresAt else { return false }
        return now >= expiresAt
    }

    /// Connected and seen at `now` (a connect, or any use: PowerShell's Receive-PSSession connects too).
    public func connected(at now: Date) -> Session {
        var session = self
        session.state = .connected
        session.lastSeenAt = now
        session.disconnectedAt = nil
        return session
    }

    /// Disconnected at `now`; a session already disconnected keeps its first disconnect time, so
    /// disconnecting again does not postpone its expiry.
    public func disconnected(at now: Date) -> Session {
        var session = self
        if state == .connected { session.disconnectedAt = now }
        session.state = .disconnected
        session.lastSeenAt = now
        return session
    }
}

/// Session rules shared by the daemon and the client.
public enum Sessions {
    /// Two hours, as PowerShell's default idle timeout of a disconnected session.
    public static let defaultIdleTimeout: Double = 2 * 3600

    /// The reader whose cursors are the session's: a prefix no plain `--reader` name can take by accident
    /// (reader names are free text, but session names are checked names).
    public static func reader(_ name: String) -> String { "session:" + name }

    public static func validateIdleTimeout(_ seconds: Double) throws(ErrandError) {
        guard seconds > 0, seconds.isFinite, seconds <= InputBounds.maxTimeoutSeconds else {
            throw .badRequest(
                "idleTimeout must be a positive number of seconds of at most a year (31536000), got \(seconds)")
        }
    }
}

/// What a client sends to create a session (`errand session new`, `POST /api/v1/sessions`).
public struct SessionRequest: Codable, Sendable, Equatable {
    public var name: String
    /// Seconds; the daemon's default (`errand serve --session-idle-timeout`) when nil.
    public var idleTimeout: Double?
    public var stopOnExpire: Bool?

    public init(name: String, idleTimeout: Double? = nil, stopOnExpire: Bool? = nil) {
        self.name = name
        self.idleTimeout = idleTimeout
        self.stopOnExpire = stopOnExpire
    }

    public func validated() throws(ErrandError) -> SessionRequest {
        try Names.validate(name, what: "session name")
        if let idleTimeout { try Sessions.validateIdleTimeout(idleTimeout) }
        return self
    }
}

/// A session as the API shows it: its fields, when it expires, and what is waiting in it.
public struct SessionView: Codable, Sendable, Equatable {
    public var session: Session
    public var expiresAt: Date?
    /// Ids of the session's runs.
    public var runs: [Int64]
    /// Ids of the session's runs that have output the session has not received, or are still running.
    public var waiting: [Int64]

    public init(session: Session, runs: [Run]) {
        self.session = session
        self.expiresAt = session.expiresAt
        self.runs = runs.map(\.id)
        self.waiting = runs.filter(\.hasMoreData).map(\.id)
    }
}
