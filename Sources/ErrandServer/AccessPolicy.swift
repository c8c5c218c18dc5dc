import ErrandCore
import HTTPTypes

/// Which role each route needs: a pure table, checked before any route runs (so an unauthenticated
/// caller learns nothing about which jobs or runs exist).
///
/// Reads (GET/HEAD) need `reader`; the writes listed in ``operatorRoutes`` need `operator`; every
/// other write needs `admin`, so a route added later without a row here is admin-only until someone
/// decides otherwise. Paths that are not the API (the dashboard's pages under `/` and `/static`) follow
/// the same rule: reading a page needs a reader's token (a signed-in browser's session cookie stands for it).
public enum AccessPolicy {
    /// Routes anyone may call: liveness, the version, the API's own description; and the dashboard's
    /// sign-in and sign-out with the stylesheet and script its pages use (the same for every daemon).
    static let openRoutes: [(HTTPRequest.Method, String)] = [
        (.get, "/healthz"), (.head, "/healthz"), (.get, "/api/v1/version"), (.get, "/api/v1/openapi.yaml"),
        (.get, "/sign-in"), (.head, "/sign-in"), (.post, "/sign-in"), (.post, "/sign-out"), (.get, "/static/*"), (.head, "/static/*"),
    ]

    /// Writes a reader may make: receiving output moves the reader's own cursor; it changes no run.
    static let readerWrites: [(HTTPRequest.Method, String)] = [(.post, "/api/v1/runs/*/receive")]

    /// Writes that run and stop things, but deploy nothing.
    static let operatorRoutes: [(HTTPRequest.Method, String)] =
        [
            (.post, "/api/v1/runs"), (.delete, "/api/v1/runs/*"), (.post, "/api/v1/runs/*/stop"),
            (.post, "/api/v1/invocations"),
            (.post, "/api/v1/jobs/*/trigger"), (.post, "/api/v1/jobs/*/start"), (.post, "/api/v1/jobs/*/stop"),
        ]
        // The dashboard's form actions (Sources/ErrandDashboard); deleting a job there stays admin-only.
        + [
            (.post, "/jobs/*/run"), (.post, "/jobs/*/start"), (.post, "/jobs/*/stop"), (.post, "/runs/*/stop"),
            (.post, "/runs/*/remove"),
        ]
        + KuduAPI.families.flatMap { family in
            [
                (HTTPRequest.Method.post, "/\(family.triggered)/*/run"), (.post, "/\(family.continuous)/*/start"),
                (.post, "/\(family.continuous)/*/stop"),
            ]
        }

    /// Everything under this prefix is for admins, reads included (the token list).
    static let adminPrefix = ["api", "v1", "tokens"]

    /// The role `method path` needs, or nil when the route is open to anyone. Paths are compared ignoring case,
    /// as the router matches them (every pattern here is lower-case).
    public static func requiredRole(method: HTTPRequest.Method, path: String) -> TokenRole? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map { $0.lowercased() }
        func matches(_ table: [(HTTPRequest.Method, String)]) -> Bool {
            table.contains { entry in entry.0 == method && Self.matches(pattern: entry.1, segments) }
        }
        if matches(openRoutes) { return nil }
        if segments.starts(with: adminPrefix) { return .admin }
        if method == .get || method == .head || matches(readerWrites) { return .reader }
        if matches(operatorRoutes) { return .operator }
        return .admin
    }

    /// Whether `segments` fit `pattern`, where `*` stands for exactly one segment.
    static func matches(pattern: String, _ segments: [String]) -> Bool {
        let parts = pattern.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == segments.count else { return false }
        return zip(parts, segments).allSatisfy { part, segment in part == "*" || part == segment }
    }
}
