import ErrandCore

/// Which system users this daemon launches runs as: `errand serve --run-as USER` (every run's user unless
/// its job says otherwise) and `--allow-run-as USER,…` (the users a job's `run_as` may name). Without
/// either, every run is launched as the daemon's own user and a job naming a user is refused, so that
/// whoever may deploy cannot choose who runs their code.
public struct RunAsPolicy: Sendable, Hashable {
    /// The user every run is launched as when its job names none; nil: the daemon's own user.
    public var defaultUser: String?
    /// The users a job may name, the default included.
    public var allowed: Set<String>

    public init(defaultUser: String? = nil, allowed: Set<String> = []) {
        self.defaultUser = defaultUser
        self.allowed = allowed.union(defaultUser.map { [$0] } ?? [])
    }

    /// True when some run may be launched as another user (the data dir must then let them reach their folders).
    public var switchesUsers: Bool { !allowed.isEmpty }

    /// The user a job's run is launched as, or an error naming what to configure when `requested` is not allowed.
    public func user(requested: String?) throws(ErrandError) -> String? {
        guard let requested else { return defaultUser }
        guard allowed.contains(requested) else {
            let listed = allowed.sorted().map { "'\($0)'" }.joined(separator: ", ")
            throw .badRequest(
                allowed.isEmpty
                    ? "run_as '\(requested)': this daemon launches every run as its own user; start it with `--allow-run-as \(requested)` to allow it"
                    : "run_as '\(requested)' is not allowed on this daemon (allowed: \(listed)); see `errand serve --allow-run-as`")
        }
        return requested
    }
}
