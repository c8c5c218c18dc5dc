import ErrandCore
import ErrandHost
import ErrandJobs
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The Jobs, Job and Deploy pages and the job actions (run now, start/stop, delete).
extension Dashboard {
    /// Runs per job in the Jobs page's sparkline, and in the Job page's chart and table.
    static let sparkRuns = 20
    static let historyRuns = 30

    func addJobRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("jobs") { _, _ in await self.page { try await self.jobsPage() } }
        router.get("jobs/:name") { _, context in await self.page { try await self.jobPage(Self.jobName(context)) } }
        router.get("jobs/:name/delete") { _, context in await self.page { try await self.deletePage(Self.jobName(context)) } }
        router.post("jobs/:name/run") { request, context in
            await self.action(request) { form in
                let name = try Self.jobName(context)
                let arguments = Self.arguments(form["arguments"] ?? "")
                let run = try await jobs.trigger(name, arguments: arguments, trigger: .manual, detail: "dashboard")
                return "/runs/\(run.id)"
            }
        }
        router.post("jobs/:name/start") { request, context in
            await self.action(request) { _ in
                let name = try Self.jobName(context)
                _ = try await jobs.enable(name)
                return "/jobs/\(PathText.escape(name))"
            }
        }
        router.post("jobs/:name/stop") { request, context in
            await self.action(request) { _ in
                let name = try Self.jobName(context)
                _ = try await jobs.disable(name)
                return "/jobs/\(PathText.escape(name))"
            }
        }
        router.post("jobs/:name/delete") { request, context in
            await self.action(request) { form in
                try await jobs.remove(try Self.jobName(context), force: form["force"] == "1")
                return "/jobs"
            }
        }
        router.get("deploy") { request, _ in await self.page { try await self.deployPage(request) } }
        router.get("deploy/preview") { request, _ in self.preview(request) }
    }

    func jobsPage() async throws -> Response {
        let now = now()
        var rows: [JobRow] = []
        for job in try await jobs.list() {
            let history = try await jobs.history(job.name, limit: Self.sparkRuns).reversed()
            rows.append(JobRow(job, history: Array(history), now: now))
        }
        let summary = rows.count == 1 ? "1 job" : "\(rows.count) jobs"
        let page = JobsPage(
            chrome: chrome("Jobs", .jobs), rows: rows, empty: rows.isEmpty, summary: summary, refresh: rows.contains(where: \.changing))
        return html(try assets.render(page, template: "jobs"))
    }

    func jobPage(_ name: String) async throws -> Response {
        let job = try await jobs.job(named: name)
        let history = try await jobs.history(name, limit: Self.historyRuns)
        var next = job.nextRuns.prefix(5).map { TimeText.clock($0) + " UTC" }
        if let text = job.schedule, job.kind == "scheduled" {
            // In the job's own zone, with the offset: what the schedule's author thinks in.
            let isRecurrence = text.hasPrefix("{")
            let preview = SchedulePreview.compute(
                cron: isRecurrence ? nil : text, recurrence: isRecurrence ? text : nil, timeZone: job.timeZone, now: now())
            if preview.error == nil { next = preview.next }
        }
        let page = JobPage(chrome: chrome("Job \(name)", .jobs), job: job, history: history, nextRuns: next, now: now())
        return html(try assets.render(page, template: "job"))
    }

    func deletePage(_ name: String) async throws -> Response {
        let job = try await jobs.job(named: name)
        let page = DeleteJobPage(
            chrome: chrome("Delete \(name)", .jobs), name: name, path: "/jobs/\(PathText.escape(name))", active: !job.activeRuns.isEmpty)
        return html(try assets.render(page, template: "job-delete"))
    }

    func deployPage(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let limit = await jobs.configuration.packageLimits.maxArchiveBytes
        let page = DeployPage(
            chrome: chrome("Deploy", .deploy), name: query.get("name") ?? "", kind: query.get("kind"), schedule: query.get("schedule"),
            maxBytes: limit, zone: TimeZone.current.identifier)
        return html(try assets.render(page, template: "deploy"))
    }

    /// `GET /deploy/preview?cron=…|recurrence=…&tz=…`: the schedule in words and its next instants, as JSON.
    func preview(_ request: Request) -> Response {
        let query = request.uri.queryParameters
        let result = SchedulePreview.compute(
            cron: query.get("cron"), recurrence: query.get("recurrence"), timeZone: query.get("tz"), now: now())
        let body = (try? JSONCoding.encoder().encode(result)) ?? Data("{}".utf8)
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func jobName(_ context: some RequestContext) throws -> String {
        let name = context.parameters.get("name") ?? ""
        try Names.validateJobName(name)
        return name
    }

    /// The run-now box: one argument per line, taken as is (never split by a shell); blank lines
    /// at the end are dropped.
    static func arguments(_ text: String) -> [String] {
        var lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }
}
