import ErrandCore
import Foundation

/// Everything durable, as one protocol composed of capabilities: ``RunStore``, ``OutputStore``,
/// ``JobStore``, ``TokenStore``, ``SessionStore`` and ``PackageArchiveStore``. Code that needs one capability can ask for that one;
/// `any Store` is the whole. The SQLite engine serves one host; a PostgreSQL engine for a fleet implements
/// the same protocols and passes the same contract (`Tests/ErrandStoreTests/StoreContract.swift`).
///
/// Meaning, not mechanics: ids come from the store and only increase; times are UTC instants; a run's
/// output chunks are numbered by the writer (one writer per run) and unique per run. Domain rules (what
/// "finished", "has more data", "a fan-out child" and "matches a name" mean) live in ErrandCore; an engine
/// implements them exactly and may filter with them in its query language. Failures are ``StoreError``s.
///
/// An engine is opened by ``StoreFactory`` and runs as a `Service` (``StoreEngine``) until shutdown.
public protocol Store: RunStore, OutputStore, JobStore, TokenStore, SessionStore, PackageArchiveStore {
    /// Why the store could not write the last time it tried (disk full, read-only), nil when it could.
    var writeProblem: String? { get }
    /// Where the store is, for people (logs, `/healthz`, `errand version`, the dashboard): `sqlite:PATH` or
    /// `postgres://USER@HOST:PORT/DATABASE`, never with a password.
    var location: String { get }
    /// True when several daemons may share the store (PostgreSQL): each recovers only its own runs after a
    /// restart, and job packages are kept in the store so every daemon can run every job. An SQLite store
    /// belongs to one daemon, which owns all its runs and has its packages in its data dir.
    var isShared: Bool { get }
}

extension Store {
    /// Why the store could not write the last time it tried (disk full, read-only), nil when it could.
    public var writeProblem: String? { nil }
}
