import ErrandCore
import HTTPTypes
import Hummingbird

/// Which methods each routed path answers, to tell "no such path" (404) from "no such method here" (405 with
/// `Allow`), which Hummingbird's router does not: both are its not-found. A pure table over the router's routes.
///
/// A request path matches a route when it has as many segments and each literal segment is equal (a capture
/// takes any segment). When several routes match, the one the router picks wins, as its trie does: a literal
/// before a capture, from the first segment on. So `DELETE /api/v1/runs/wait` is allowed only `GET`, the
/// methods of `runs/wait`, not those of `runs/{id}`. Routes with `**` are not looked at (Errand has none).
struct RouteMethods: Sendable {
    /// One routed path: its segments (the literal text, or nil for a capture or wildcard) and its methods.
    struct Route: Sendable {
        let segments: [String?]
        var methods: [HTTPRequest.Method]
    }

    let routes: [Route]

    init(_ routes: [(path: RouterPath, method: HTTPRequest.Method)]) {
        var merged: [Route] = []
        for (path, method) in routes {
            let segments = path.components.map { element in element == element.description ? element.description : nil }
            if let index = merged.firstIndex(where: { $0.segments == segments }) {
                merged[index].methods.append(method)
            } else {
                merged.append(Route(segments: segments, methods: [method]))
            }
        }
        self.routes = merged
    }

    /// The methods the route for `path` answers, sorted, or nil when no route has that path.
    func allowed(path: String) -> [HTTPRequest.Method]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        let matching = routes.filter { route in
            route.segments.count == parts.count
                && zip(route.segments, parts).allSatisfy { segment, part in segment.map { $0 == part } ?? true }
        }
        let best = matching.max { lhs, rhs in Self.isPicked(rhs, before: lhs) }
        return best.map { $0.methods.sorted { $0.rawValue < $1.rawValue } }
    }

    /// Whether the router tries `route` before `other`: at the first segment where one is literal and the
    /// other a capture, the literal one.
    static func isPicked(_ route: Route, before other: Route) -> Bool {
        for (segment, otherSegment) in zip(route.segments, other.segments) where (segment == nil) != (otherSegment == nil) {
            return segment != nil
        }
        return false
    }
}

/// The daemon's router with HTTP's answer for a method a known path does not have: 405 with `Allow` and a JSON
/// error (`TRACE` on any route included), where Hummingbird's router answers 404. Unknown paths stay 404.
///
/// It looks at the router's answer, so the checks before routing (the `Host` guard, the cross-site guard,
/// tokens) still come first: a caller without a valid token learns nothing about which methods exist.
public struct MethodCheckingRouter<Context: RequestContext>: HTTPResponderBuilder {
    /// The routes, complete (the API's and the dashboard's) when the server builds its responder.
    public let router: Router<Context>

    public init(_ router: Router<Context>) {
        self.router = router
    }

    public func buildResponder() -> Responder {
        Responder(
            routed: router.buildResponder(), methods: RouteMethods(router.routes.map { (path: $0.path, method: $0.method) }))
    }

    public struct Responder: HTTPResponder {
        let routed: RouterResponder<Context>
        let methods: RouteMethods

        public func respond(to request: Request, context: Context) async throws -> Response {
            let response = try await routed.respond(to: request, context: context)
            // A 404 for a method the path has came from its handler (no such run); leave it.
            guard response.status == .notFound, let allowed = methods.allowed(path: request.uri.path),
                !allowed.contains(request.method)
            else { return response }
            let list = allowed.map(\.rawValue).joined(separator: ", ")
            var refused = try APIError(
                error: ErrandError(.methodNotAllowed, "\(request.uri.path) does not take \(request.method); it takes \(list)")
            ).response(from: request, context: context)
            refused.headers[.allow] = list
            return refused
        }
    }
}
