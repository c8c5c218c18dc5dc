import ErrandCore
import ErrandJobs
import ErrandStore
import Foundation
import Logging

/// What a deploy is given: the package, its kind, and settings that override the package's own.
public struct DeployRequest: Sendable {
    public var name: String
    public var source: PackageSource
    public var continuous: Bool
    /// Replaces the package's `settings.job` (the raw JSON text).
    public var settings: Data?
    /// A cron expression that replaces the settings' `schedule` (and `recurrence`).
    public var schedule: String?
    /// A recurrence object (JSON text) that replaces the settings' `recurrence` (and `schedule`).
    public var recurrence: String?
    /// Whether a job of the other kind under this name may be replaced: it is removed (runs, history) and the new
    /// one deployed (`errand job deploy --replace`). Without it that deploy is a conflict: a kind never changes
    /// silently.
    public var replace: Bool

    public init(
        name: String, source: PackageSource, continuous: Bool, settings: Data? = nil, schedule: String? = nil,
        recurrence: String? = nil, replace: Bool = false
    ) {
        self.replace = replace
        self.name = name
        self.source = source
        self.continuous = continuous
        self.settings = settings
        self.schedule = schedule
        self.recurrence = recurrence
    }
}

extension JobHost {
    /// Deploys or replaces a job: stage, check (paths, links, limits, settings, entry point,
    /// interpreter), store, then switch the job over in one store write. Any failure before the switch
    /// leaves the previous version and its settings exactly as they were. Staging runs outside the
    /// actor, so a large upload does not hold up other jobs.
    public nonisolated func deploy(_ request: DeployRequest) async throws -> JobView {
        let name = try JobName(validating: request.name)
        // Early, so a refused kind change costs no staging; commit checks again, on the actor.
        try await checkKind(of: name.rawValue, continuous: request.continuous, replace: request.replace)
        let lookup = InterpreterLookup.system(path: configuration.baseEnvironment["PATH"])
        let checked: CheckedDeploy
        let stored: StoredPackage
        do {
            let staged = try packages.stage(request.source)
            do {
                checked = try Self.check(staged, request: request, lookup: lookup, runAs: coordinator.configuration.runAs)
            } catch {
                packages.discard(staged)
                throw error
            }
            stored = try packages.store(staged)
        } catch let error as DeployError {
            throw error.errandError
        }
        try await share(stored)
        return try await commit(name, package: stored, checked, replace: request.replace)
    }

    /// A job's kind never changes silently: a continuous deploy over a triggered or scheduled job of that name (or
    /// the reverse) is a conflict, unless `replace`. Triggered and scheduled are one Kudu type and change freely.
    func checkKind(of name: String, continuous: Bool, replace: Bool) throws(ErrandError) {
        guard !replace, let previous = stored(name), (previous.kind == .continuous) != continuous else { return }
        let was = previous.kind == .continuous ? "continuous" : "triggered"
        let new = continuous ? "continuous" : "triggered"
        throw ErrandError.conflict(
            "'\(previous.name)' is a \(was) job; a \(new) job cannot take its name: remove it first "
                + "(errand job remove \(previous.name), or DELETE /api/\(was)webjobs/\(previous.name)), "
                + "or deploy with errand job deploy --replace to remove it and deploy in one step")
    }

    /// Replaces a job's settings (`PUT …/settings`): the stored package deployed again with them, so
    /// they are checked exactly as at deploy time.
    public func replaceSettings(_ name: String, with settings: Data) async throws -> JobView {
        await learn(name)
        let job = try existing(name)
        return try await deploy(
            DeployRequest(
                name: job.name, source: .folder(try await localPackage(job.record.packageDigest)),
                continuous: job.kind == .continuous, settings: settings))
    }

    struct CheckedDeploy: Sendable {
        var kind: JobKind
        var settingsText: String
        var entryPoint: [String]
        /// The folders unwrapped from the package, joined with `/` (Kudu's `run_command` names the script under them).
        var packageRoot = ""
    }

    /// Everything a deploy checks about a staged package, without touching the running job.
    static func check(
        _ staged: StagedPackage, request: DeployRequest, lookup: InterpreterLookup, runAs: RunAsPolicy
    ) throws(DeployError) -> CheckedDeploy {
        var object = try settingsObject(request.settings ?? staged.settingsData(), given: request.settings != nil)
        if let schedule = request.schedule {
            object["schedule"] = .string(schedule)
            object["recurrence"] = nil
        }
        if let recurrence = request.recurrence {
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(recurrence.utf8)) else {
                throw DeployError(.invalidSettings, "--recurrence is not valid JSON: \(recurrence)")
            }
            object["recurrence"] = value
            object["schedule"] = nil
        }
        let settings = JobSettings(object: object)
        let kind = JobKind.deployed(continuous: request.continuous, settings: settings)
        let errors = settings.problems(for: kind).filter { $0.severity == .error }
        if !errors.isEmpty {
            throw DeployError(
                .invalidSettings,
                "settings.job has \(errors.count == 1 ? "an error" : "\(errors.count) errors"): "
                    + errors.map(\.description).joined(separator: "; "))
        }
        do {
            _ = try runAs.user(requested: settings.runAs)
        } catch {
            throw DeployError(.invalidSettings, "settings.job: \(error.message)")
        }
        let entryPoint = try EntryPoint.detect(files: staged.files, entryPoint: settings.entryPoint, lookup: lookup)
        return CheckedDeploy(
            kind: kind, settingsText: String(decoding: JSONValue.object(object).jsonData, as: UTF8.self),
            entryPoint: entryPoint.argv, packageRoot: staged.unwrapped.joined(separator: "/"))
    }

    /// The settings as a JSON object (empty when there are none).
    static func settingsObject(_ data: Data?, given: Bool) throws(DeployError) -> [String: JSONValue] {
        guard let data else { return [:] }
        let parsed = JobSettings(parsing: data)
        if parsed.problems.contains(where: { $0.field == nil }) {
            let what = given ? "the settings given" : "settings.job"
            throw DeployError(
                .invalidSettings, "\(what): " + parsed.problems.map(\.message).joined(separator: "; "))
        }
        return parsed.raw
    }

    /// Switches the job to the stored package: one store write (the version of record), then the
    /// package link, then whatever the new kind needs (supervisor, schedule). A job whose name equals `name`
    /// ignoring case is replaced and keeps its own spelling. A change of kind is refused, or with `replace` the
    /// previous job is removed first (stopped, history deleted), as `errand job remove` then a deploy would.
    func commit(_ requested: JobName, package: StoredPackage, _ checked: CheckedDeploy, replace: Bool = false) async throws
        -> JobView
    {
        let continuous = checked.kind == .continuous
        try checkKind(of: requested.rawValue, continuous: continuous, replace: replace)
        if replace, let old = stored(requested.rawValue), (old.kind == .continuous) != continuous {
            try await remove(old.name, force: true)
            logger.info("job '\(old.name)' removed to be replaced by a \(checked.kind.name) job (--replace)")
        }
        let previous = stored(requested.rawValue)
        let name = previous.flatMap { JobName(rawValue: $0.name) } ?? requested
        let time = now()
        let record = JobRecord(
            name: name.rawValue, kind: checked.kind.rawValue, packageDigest: package.digest,
            entryPoint: checked.entryPoint, settings: checked.settingsText,
            enabled: previous?.record.enabled ?? true, packageRoot: checked.packageRoot,
            createdAt: previous?.record.createdAt ?? time, updatedAt: time)
        try await store.saveJob(record)
        do {
            try packages.activate(package, for: name)
        } catch {
            logger.warning("job '\(name)' deployed, but its package link could not be updated: \(error)")
        }
        let job = DeployedJob(record: record)
        jobs[name.rawValue] = job
        logger.info("job '\(name)' deployed (\(checked.kind.name), package \(package.digest.prefix(12)))")
        await announce(.jobs)
        await switchOver(from: previous, to: job)
        return try await view(of: job)
    }

    /// After a deploy: stop what the previous version ran that the new one does not, restart a
    /// continuous job on its new version, plan the new schedule.
    func switchOver(from previous: DeployedJob?, to job: DeployedJob) async {
        if previous?.kind == .continuous && job.kind != .continuous {
            cancelSupervisor(job.name)
            supervisors[job.name] = nil
            try? await stopActive(job.name, grace: previous!.settings.stoppingWaitTime(for: .continuous))
        }
        if previous?.kind == .scheduled && job.kind != .scheduled {
            agenda.remove(job.name)
            agendaDidChange()
        }
        if job.kind == .continuous, previous?.kind == .continuous, supervisors[job.name]?.loop != nil {
            await restartContinuous(job.name)
        } else {
            await activate(job, catchUp: false)
        }
    }
}
