import ErrandCore
import ErrandTokens
import Foundation
import HTTPTypes
import Hummingbird

/// Signing in to the dashboard of a daemon that requires tokens: the sign-in page takes a token once and
/// sets a session cookie (see ``BrowserSessions``); sign-out ends the session. Both forms post the CSRF token.
extension Dashboard {
    /// Sign-in settings: where sessions live, and whether the cookie is `Secure` (the daemon serves TLS).
    public struct SignIn: Sendable {
        let sessions: BrowserSessions
        let secureCookie: Bool

        public init(sessions: BrowserSessions, secureCookie: Bool) {
            self.sessions = sessions
            self.secureCookie = secureCookie
        }
    }

    func addSignInRoutes<Context: RequestContext>(to router: Router<Context>, _ signIn: SignIn) {
        router.get("sign-in") { request, _ in
            html(try assets.render(signInPage(next: request.uri.queryParameters.get("next")), template: "sign-in"))
        }
        router.post("sign-in") { request, _ in await self.signIn(request, signIn) }
        router.post("sign-out") { request, _ in
            let response = await action(request) { _ in
                signIn.sessions.signOut(request.cookies[BrowserSessions.cookieName]?.value)
                return "/sign-in"
            }
            // Signed out: the browser forgets the cookie too (a refused form leaves everything as it was).
            guard response.status == .seeOther else { return response }
            return response.settingCookie(Self.sessionCookie("", maxAge: 0, secure: signIn.secureCookie))
        }
    }

    func signInPage(next: String?, problem: String? = nil) -> SignInPage {
        var frame = chrome("Sign in", .jobs)
        frame.signOut = false
        return SignInPage(chrome: frame, next: Self.local(next) ?? "/jobs", problem: problem)
    }

    /// Checks the pasted token; a good one opens a session and sends the browser where it was going.
    func signIn(_ request: Request, _ signIn: SignIn) async -> Response {
        await page {
            let form = try await Self.form(request)
            guard csrf.accepts(cookie: request.cookies[CSRFGuard.cookieName]?.value, field: form[CSRFGuard.fieldName]) else {
                return errorPage(
                    .badRequest(
                        "This form was not sent by this dashboard (its security token is missing or stale). Reload the page and try again."),
                    status: .forbidden, title: "Refused")
            }
            let secret = (form["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !secret.isEmpty, let session = try await signIn.sessions.signIn(secret: secret) else {
                let page = signInPage(
                    next: form["next"], problem: "That token is not valid: it is unknown, revoked or mistyped. Paste the whole secret.")
                var response = html(try assets.render(page, template: "sign-in"), status: .unauthorized)
                response.headers[.wwwAuthenticate] = #"Bearer realm="errand""#
                return response
            }
            return Self.redirect(to: Self.local(form["next"]) ?? "/jobs")
                .settingCookie(Self.sessionCookie(session.id, maxAge: Int(signIn.sessions.lifetime), secure: signIn.secureCookie))
        }
    }

    /// The session cookie: script cannot read it, no other site's request carries it, and with TLS it
    /// never travels in clear.
    static func sessionCookie(_ value: String, maxAge: Int, secure: Bool) -> Cookie {
        Cookie(
            name: BrowserSessions.cookieName, value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }
}

extension Response {
    fileprivate func settingCookie(_ cookie: Cookie) -> Response {
        var response = self
        response.setCookie(cookie)
        return response
    }
}

/// The sign-in page.
struct SignInPage: Sendable {
    var chrome: Chrome
    /// Where to go once signed in (a path on this site).
    var next: String
    var problem: String?
}
