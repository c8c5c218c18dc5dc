import ErrandCore
import Foundation

/// Daemon-kept sessions (``Session``).
///
/// Guarantees (pinned by the store contract): a name is taken once; deleting a session deletes the
/// cursors of its reader (``Sessions/reader(_:)``) and leaves its runs in no session, so a new session of
/// the same name starts empty.
public protocol SessionStore: Sendable {
    /// Inserts a session; false (nothing written) when one of that name exists.
    func createSession(_ session: Session) async throws -> Bool
    func session(named name: String) async throws -> Session?
    /// Every session, sorted by name.
    func sessions() async throws -> [Session]
    /// Writes a session's state and times; false when there is no such session.
    @discardableResult
    func updateSession(_ session: Session) async throws -> Bool
    /// Deletes a session and its reader's cursors; its runs stay, in no session. False when there was no such session.
    @discardableResult
    func deleteSession(named name: String) async throws -> Bool
}
