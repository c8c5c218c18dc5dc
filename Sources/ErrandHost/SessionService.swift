import ErrandCore
import ErrandStore
import Foundation
import Logging
import ServiceLifecycle

/// Sessions: named readers the daemon keeps, so a client can disconnect, go away, and connect again
/// from another terminal without losing output (PowerShell's Disconnect-/Connect-/Receive-PSSession,
/// without its data loss: runs never block on a disconnected session, output is stored anyway).
/// Its own actor beside the coordinator, which it asks only to stop the runs of a session that ends.
public actor SessionService {
    let store: any Store
    let coordinator: RunCoordinator
    let clock: any HostClock
    /// Seconds a disconnected session is kept when it was created without its own idle timeout.
    let defaultIdleTimeout: Double
    let logger: Logger
    /// When the earliest disconnected session expires (nil: none is disconnected). Unknown at start, so the
    /// first sweep reads the store.
    var nextSessionExpiry: Date? = .distantPast

    public init(coordinator: RunCoordinator, logger: Logger = Logger(label: "errand.sessions")) {
        self.coordinator = coordinator
        self.store = coordinator.store
        self.clock = coordinator.clock
        self.defaultIdleTimeout = coordinator.configuration.sessionIdleTimeout
        self.logger = logger
    }

    private func now() -> Date { clock.now }

    public func create(_ request: SessionRequest) async throws -> SessionView {
        let request = try request.validated()
        let session = Session(
            name: request.name, createdAt: now(), idleTimeout: request.idleTimeout ?? defaultIdleTimeout,
            stopOnExpire: request.stopOnExpire ?? false)
        guard try await store.createSession(session) else {
            throw ErrandError.conflict("session '\(request.name)' exists; connect to it with `errand session connect \(request.name)`")
        }
        return SessionView(session: session, runs: [])
    }

    public func views() async throws -> [SessionView] {
        var views: [SessionView] = []
        for session in try await store.sessions() { views.append(try await view(of: session)) }
        return views
    }

    /// A session as it is, without counting as a use (the dashboard and `session list` only look).
    public func view(named name: String) async throws -> SessionView {
        try await view(of: existingSession(name))
    }

    public func connect(_ name: String) async throws -> SessionView {
        let session = try await existingSession(name).connected(at: now())
        try await store.updateSession(session)
        return try await view(of: session)
    }

    public func disconnect(_ name: String) async throws -> SessionView {
        let session = try await existingSession(name).disconnected(at: now())
        try await store.updateSession(session)
        noteSessionExpiry(session.expiresAt)
        return try await view(of: session)
    }

    /// Deletes a session and its cursors. Its runs go on, unless `stopRuns`.
    public func remove(_ name: String, stopRuns: Bool) async throws {
        _ = try await existingSession(name)
        if stopRuns { await stopUnfinishedRuns(of: name, cause: .user) }
        try await store.deleteSession(named: name)
    }

    /// A use of the session by `start`, `get` or `receive`: it counts as a connect (as Receive-PSSession
    /// connects) and gives the reader of the session's cursors.
    public func use(_ name: String) async throws -> String {
        try Names.validate(name, what: "session name")
        _ = try await connect(name)
        return Sessions.reader(name)
    }

    /// Removes every session expired at `now` (default: the clock's), first stopping the
    /// unfinished runs of those created with `stopOnExpire`. Returns the names removed.
    @discardableResult
    public func expire(at now: Date? = nil) async throws -> [String] {
        let now = now ?? self.now()
        // An idle daemon does not read the store each sweep: only once the earliest expiry has come.
        guard let due = nextSessionExpiry, now >= due else { return [] }
        nextSessionExpiry = nil  // disconnects during this sweep lower it again
        var expired: [String] = []
        let sessions = try await store.sessions()
        noteSessionExpiry(sessions.filter { !$0.isExpired(at: now) }.compactMap(\.expiresAt).min())
        for session in sessions where session.isExpired(at: now) {
            // Read again: a client may have connected since the list was read.
            guard let fresh = try await store.session(named: session.name), fresh.isExpired(at: now) else { continue }
            if fresh.stopOnExpire { await stopUnfinishedRuns(of: fresh.name, cause: .sessionExpired(fresh.name)) }
            try await store.deleteSession(named: fresh.name)
            logger.info("session '\(fresh.name)' expired after \(fresh.idleTimeout) s disconnected and was removed")
            expired.append(fresh.name)
        }
        return expired
    }

    /// Lowers the time of the next sweep that must read the store to `expiry`.
    private func noteSessionExpiry(_ expiry: Date?) {
        guard let expiry else { return }
        nextSessionExpiry = min(nextSessionExpiry ?? expiry, expiry)
    }

    private func stopUnfinishedRuns(of name: String, cause: StopCause) async {
        let unfinished = (try? await store.runs(RunQuery(states: RunState.allCases.filter { !$0.isFinished }, session: name))) ?? []
        await withTaskGroup(of: Void.self) { group in
            for run in unfinished {
                group.addTask { _ = try? await self.coordinator.stop(id: run.id, cause: cause) }
            }
        }
    }

    private func existingSession(_ name: String) async throws -> Session {
        guard let session = try await store.session(named: name) else {
            throw ErrandError.notFound("no session named '\(name)'; create it with `errand session new \(name)`")
        }
        return session
    }

    private func view(of session: Session) async throws -> SessionView {
        SessionView(session: session, runs: try await store.runs(RunQuery(reader: Sessions.reader(session.name), session: session.name)))
    }
}

/// The daemon's periodic expiry of disconnected sessions. The decision is `Session.isExpired(at:)`
/// (pure); this only calls ``SessionService/expire(at:)`` every `interval` on the sessions' clock.
public struct SessionSweeper: Service {
    let sessions: SessionService
    let interval: Duration

    public init(sessions: SessionService, interval: Duration) {
        self.sessions = sessions
        self.interval = interval
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await sessions.expire()
                } catch {
                    sessions.logger.error("session expiry failed: \(error)")
                }
                do { try await sessions.clock.sleep(for: interval) } catch { return }
            }
        }
    }
}
