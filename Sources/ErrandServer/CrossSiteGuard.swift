import ErrandCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Refuses state-changing requests that a browser sends on behalf of another site. The daemon listens on
/// localhost without credentials, so without this any web page could start commands here with a
/// `text/plain` form post (a "simple" request needs no CORS preflight). Browsers label such requests with
/// `Sec-Fetch-Site` and `Origin`; the CLI and scripts send neither and are not affected.
struct CrossSiteGuard<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.isUnsafe(request.method), let reason = Self.crossSite(request.headers, authority: request.head.authority) else {
            return try await next(request, context)
        }
        let body = try JSONCoding.encoder().encode(ErrorBody(error: .badRequest("refused a cross-site \(request.method) (\(reason))")))
        return Response(status: .forbidden, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func isUnsafe(_ method: HTTPRequest.Method) -> Bool {
        ![.get, .head, .options].contains(method)
    }

    /// Why the request comes from another site, or nil when it does not (or says nothing). A browser's
    /// `Sec-Fetch-Site` decides when present (page scripts cannot set it, and it stays right behind a
    /// proxy that rewrites `Host`); `Origin` against the authority is the fallback for older browsers.
    static func crossSite(_ headers: HTTPFields, authority: String?) -> String? {
        if let site = headers[HTTPField.Name("Sec-Fetch-Site")!]?.lowercased() {
            return site == "same-origin" || site == "none" ? nil : "Sec-Fetch-Site: \(site)"
        }
        if let origin = headers[HTTPField.Name("Origin")!] {
            let originHost = URL(string: origin).map { url in url.host.map { $0 + (url.port.map { ":\($0)" } ?? "") } } ?? nil
            if origin == "null" || originHost?.lowercased() != (authority ?? "").lowercased() { return "Origin: \(origin)" }
        }
        return nil
    }
}
