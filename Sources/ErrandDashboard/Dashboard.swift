import ErrandCore
import ErrandHost
import ErrandStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The web dashboard, served by the daemon beside the API: server-rendered pages that read the
/// same coordinator the API does. Pages work without JavaScript; the script adds the live tail
/// and upload progress. Every POST carries the CSRF token (see ``CSRFGuard``).
public struct Dashboard: Sendable {
    let coordinator: RunCoordinator
    let jobs: JobHost
    let instance: String
    let assets: Assets
    let csrf: CSRFGuard
    /// Sign-in and sign-out, when the daemon requires tokens.
    let signIn: SignIn?
    /// This daemon's fleet, when its store is shared (the Instances page lists its instances).
    let fleet: FleetMember?
    let now: @Sendable () -> Date

    /// - Parameters:
    ///   - csrfToken: the token forms must post back; random per daemon unless given (tests).
    ///   - signIn: where signed-in browsers' sessions live; nil when the daemon needs no tokens.
    public init(
        coordinator: RunCoordinator, jobs: JobHost, instance: String, csrfToken: String? = nil, signIn: SignIn? = nil,
        fleet: FleetMember? = nil, now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        self.fleet = fleet
        self.coordinator = coordinator
        self.jobs = jobs
        self.instance = instance
        assets = try Assets()
        csrf = CSRFGuard(token: csrfToken ?? CSRFGuard.randomToken())
        self.signIn = signIn
        self.now = now
    }

    /// Largest form body accepted (forms carry ids, names and arguments, never files).
    static let maxFormBytes = 256 * 1024
    /// The run page shows the tail of a long log: at most this many chunks and bytes.
    static let tailChunks: Int64 = 500
    static let tailBytes = 512 * 1024

    /// Adds the pages (`/`, `/jobs…`, `/runs…`, `/deploy`), their form actions, `/static/…`, and
    /// `/sign-in` and `/sign-out` when browsers sign in.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/") { _, _ in Self.redirect(to: "/jobs") }
        if let signIn { addSignInRoutes(to: router, signIn) }
        addJobRoutes(to: router)
        router.get("static/:file") { _, context in try self.staticFile(context.parameters.get("file") ?? "") }
        router.get("runs") { request, _ in await self.page { try await self.runsPage(request) } }
        router.get("instances") { _, _ in await self.page { try await self.instancesPage() } }
        router.get("runs/:id") { request, context in
            await self.page { try await self.runPage(request, id: context.parameters.get("id") ?? "") }
        }
        router.post("runs/:id/stop") { request, context in
            await self.action(request) { form in
                let id = try Self.runID(context.parameters.get("id") ?? "")
                _ = try await coordinator.stop(id: id)
                return Self.local(form["back"]) ?? "/runs/\(id)"
            }
        }
        router.post("runs/:id/remove") { request, context in
            await self.action(request) { form in
                try await coordinator.remove(id: try Self.runID(context.parameters.get("id") ?? ""), force: false)
                return Self.local(form["back"]).flatMap { $0.hasPrefix("/runs/") ? nil : $0 } ?? "/runs"
            }
        }
    }

    // MARK: - Pages

    func chrome(_ title: String, _ section: Chrome.Section) -> Chrome {
        var chrome = Chrome(
            title: title, section: section, instance: instance, store: coordinator.store.location, csrf: csrf.token,
            css: assets.url("dashboard.css"),
            js: assets.url("dashboard.js"))
        chrome.signOut = signIn != nil
        return chrome
    }

    func runsPage(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let name = (query.get("name") ?? "").trimmingCharacters(in: .whitespaces)
        var state: RunState?
        if let text = query.get("state"), !text.isEmpty {
            guard let parsed = RunState(userInput: text) else { throw ErrandError.badRequest("unknown state '\(text)'") }
            state = parsed
        }
        // A fan-out's children are listed under their parent (`?parent=ID`, linked from its run page).
        let parent = try query.get("parent").flatMap { $0.isEmpty ? nil : $0 }.map(Self.runID)
        var filter = RunQuery(newest: RunsPage.shown, parent: parent, includeChildren: parent != nil)
        if !name.isEmpty { filter.names = [name.contains("*") || name.contains("?") ? name : "*\(name)*"] }
        if let state { filter.states = [state] }
        let runs = try await coordinator.reader.runs(filter)
        let page = RunsPage(
            chrome: chrome("Runs", .runs), runs: runs, state: state, name: name, parent: parent,
            back: request.uri.path + Self.queryPart(request))
        return html(try assets.render(page, template: "runs"))
    }

    func instancesPage() async throws -> Response {
        let instances: [InstanceRecord]
        if let fleet { instances = try await fleet.instances() } else { instances = [try await coordinator.instanceAlone()] }
        let page = InstancesPage(chrome: chrome("Instances", .instances), instances: instances, shared: fleet != nil, now: now())
        return html(try assets.render(page, template: "instances"))
    }

    func runPage(_ request: Request, id text: String) async throws -> Response {
        let id = try Self.runID(text)
        let query = request.uri.queryParameters
        let show = RunPage.Show(rawValue: query.get("stream") ?? "all") ?? .all
        let timestamps = ["1", "true", "yes"].contains(query.get("timestamps") ?? "")
        let known = try await coordinator.reader.run(id: id)
        let start = max(0, known.outputSeq - Self.tailChunks)
        let output = try await coordinator.reader.output(id: id, after: start, limit: Int(Self.tailChunks) * 2)
        var chunks = output.chunks[...]
        var bytes = chunks.reduce(0) { $0 + $1.bytes.count }
        while bytes > Self.tailBytes, chunks.count > 1, let first = chunks.first {
            bytes -= first.bytes.count
            chunks = chunks.dropFirst()
        }
        let hidden = (chunks.first?.seq ?? (output.next + 1)) - 1
        let page = RunPage(
            chrome: chrome("Run \(id) · \(output.run.name)", .runs), run: output.run, chunks: Array(chunks), hiddenChunks: hidden,
            after: output.next, show: show, timestamps: timestamps, now: now())
        return html(try assets.render(page, template: "run"))
    }

    // MARK: - Responses

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy:
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "same-origin",
        .cacheControl: "no-store",
    ]

    /// An HTML page; it (re)sets the CSRF cookie so that the forms on it can post.
    func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = Self.securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        var response = Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        response.setCookie(Cookie(name: CSRFGuard.cookieName, value: csrf.token, path: "/", httpOnly: true, sameSite: .strict))
        return response
    }

    /// Renders a page; an error becomes an HTML error page with the matching status.
    func page(_ render: () async throws -> Response) async -> Response {
        do {
            return try await render()
        } catch let error as ErrandError {
            return errorPage(error)
        } catch {
            return errorPage(ErrandError(.internal, "internal error: \(error)"))
        }
    }

    /// A form action: checks the CSRF token, performs it, and sends the browser on (303).
    func action(_ request: Request, _ perform: (FormBody) async throws -> String) async -> Response {
        await page {
            let form = try await Self.form(request)
            guard csrf.accepts(cookie: request.cookies[CSRFGuard.cookieName]?.value, field: form[CSRFGuard.fieldName]) else {
                return errorPage(
                    ErrandError(
                        .badRequest,
                        "This form was not sent by this dashboard (its security token is missing or stale). Reload the page and try again."),
                    status: .forbidden, title: "Refused")
            }
            return Self.redirect(to: try await perform(form))
        }
    }

    func errorPage(_ error: ErrandError, status: HTTPResponse.Status? = nil, title: String? = nil) -> Response {
        let status = status ?? HTTPResponse.Status(code: error.code.httpStatus)
        let model = ErrorPage(
            chrome: chrome(title ?? "Error", .runs), heading: title ?? "\(status.code) \(status.reasonPhrase)", message: error.message)
        let text = (try? assets.render(model, template: "error")) ?? "<!doctype html><title>Error</title><p>\(status.code)"
        return html(text, status: status)
    }

    func staticFile(_ name: String) throws -> Response {
        guard let file = assets.files[name] else { throw HTTPError(.notFound) }
        return Response(
            status: .ok,
            headers: [
                .contentType: file.contentType, .cacheControl: "public, max-age=31536000, immutable",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }

    static func redirect(to location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    // MARK: - Input

    static func form(_ request: Request) async throws -> FormBody {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxFormBytes)
        } catch {
            throw ErrandError.badRequest("the form is larger than \(maxFormBytes / 1024) KiB")
        }
        return FormBody(String(buffer: buffer))
    }

    static func runID(_ text: String) throws -> Int64 {
        guard let id = Int64(text), id > 0 else { throw ErrandError.badRequest("'\(text)' is not a run id") }
        return id
    }

    /// A path on this site to go back to; anything else (another site, `//host`) is ignored.
    static func local(_ path: String?) -> String? {
        guard let path, path.hasPrefix("/"), !path.hasPrefix("//"), !path.contains("\\"),
            !path.contains(where: { $0.isNewline })
        else { return nil }
        return path
    }

    static func queryPart(_ request: Request) -> String {
        request.uri.query.map { $0.isEmpty ? "" : "?" + $0 } ?? ""
    }
}

/// The error page.
struct ErrorPage: Sendable {
    var chrome: Chrome
    var heading: String
    var message: String
}
