import ErrandCore
import ErrandStore
import Foundation
import Testing

/// Deployed jobs and schedule ticks.
extension StoreContract {
    static let jobChecks: [Check] = [
        ("jobs are saved, replaced by name, listed and deleted", jobs),
        ("a schedule tick is claimed exactly once, with its run, also by concurrent claimers", ticks),
        ("a skipped tick's run is recorded Stopped with its reason in the claim itself", skippedTicks),
        ("ticks are remembered per job and old ones pruned; the latest run of each job in one call", tickHistory),
        ("concurrent saves of one job name leave one job, with the first createdAt", concurrentDeploys),
        ("package archives read back byte for byte, are saved once however often, and unknown ones are nil", packageArchives),
        ("job names are unique ignoring case, found and deleted ignoring case, and keep their first spelling", namesIgnoreCase),
        ("the latest run of a job is its latest real run: a skipped tick stays in history but is not it", latestRealRun),
        ("a job keeps the folders its package was unwrapped from", packageRoot),
    ]

    static func namesIgnoreCase(_ store: any Store) async throws {
        try await store.saveJob(JobRecord(name: "report", kind: "triggered", packageDigest: "aa", createdAt: t0, updatedAt: t0))
        let later = t0.addingTimeInterval(60)
        try await store.saveJob(JobRecord(name: "Report", kind: "triggered", packageDigest: "bb", createdAt: later, updatedAt: later))
        try await store.saveJob(JobRecord(name: "REPORTS", kind: "triggered", packageDigest: "cc", createdAt: t0, updatedAt: t0))
        #expect(try await store.jobs().map(\.name) == ["REPORTS", "report"])
        for spelling in ["report", "Report", "REPORT", "rEpOrT"] {
            let found = try #require(try await store.job(named: spelling), "\(spelling)")
            #expect(found.name == "report")
            #expect(found.packageDigest == "bb")
            #expect(found.createdAt == t0)
        }
        // Concurrent saves in different spellings still leave one job.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, spelling) in ["alpha", "ALPHA", "Alpha", "aLPHA"].enumerated() {
                group.addTask {
                    try await store.saveJob(
                        JobRecord(name: spelling, kind: "triggered", packageDigest: "d\(index)", createdAt: t0, updatedAt: t0))
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store.jobs().filter { $0.name.lowercased() == "alpha" }.count == 1)
        #expect(try await store.deleteJob(named: "REPORT"))
        #expect(try await store.job(named: "report") == nil)
        #expect(try await !store.deleteJob(named: "Report"))
    }

    static func latestRealRun(_ store: any Store) async throws {
        try await store.saveJob(JobRecord(name: "busy", kind: "scheduled", packageDigest: "aa", createdAt: t0, updatedAt: t0))
        var new = newRun(["sleep", "30"], name: "busy")
        new.job = "busy"
        let first = try #require(try await store.claimTick(job: "busy", due: t0, run: new))
        _ = try await store.updateRun(id: first.id, RunUpdate(state: .running, startedAt: t0.addingTimeInterval(1)))
        let skip = SkippedTick(reason: "skipped: run \(first.id) was still running (overlap: skip)", endedAt: t0.addingTimeInterval(2))
        let skipped = try #require(try await store.claimTick(job: "busy", due: t0.addingTimeInterval(2), run: new, skipped: skip))
        #expect(skipped.id > first.id)
        #expect(try await store.runs(RunQuery(jobs: ["busy"])).map(\.id) == [first.id, skipped.id], "the skip stays in history")
        #expect(try await store.latestRunOfEachJob()["busy"]?.id == first.id)
        #expect(try await store.runs(RunQuery(newest: 1, jobs: ["busy"], realOnly: true)).map(\.id) == [first.id])
        // A queued run (not started yet) is real: it will run.
        let queued = try await store.createRun(new)
        #expect(try await store.latestRunOfEachJob()["busy"]?.id == queued.id)
        #expect(try await store.runs(RunQuery(newest: 1, jobs: ["busy"], realOnly: true)).map(\.id) == [queued.id])
    }

    static func packageRoot(_ store: any Store) async throws {
        try await store.saveJob(
            JobRecord(name: "wrapped", kind: "triggered", packageDigest: "aa", packageRoot: "myjob/inner", createdAt: t0, updatedAt: t0))
        #expect(try await store.job(named: "wrapped")?.packageRoot == "myjob/inner")
        try await store.saveJob(JobRecord(name: "wrapped", kind: "triggered", packageDigest: "bb", createdAt: t0, updatedAt: t0))
        #expect(try await store.job(named: "wrapped")?.packageRoot == "")
    }

    static func concurrentDeploys(_ store: any Store) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<8 {
                group.addTask {
                    try await store.saveJob(
                        JobRecord(
                            name: "same", kind: "triggered", packageDigest: "d\(index)", createdAt: t0.addingTimeInterval(Double(index)),
                            updatedAt: t0.addingTimeInterval(Double(index))))
                }
            }
            try await group.waitForAll()
        }
        let jobs = try await store.jobs()
        #expect(jobs.map(\.name) == ["same"])
        let job = try #require(jobs.first)
        // Whichever save came first created it; every later one kept that createdAt.
        #expect(job.createdAt <= job.updatedAt)
        #expect(job.packageDigest.hasPrefix("d"))
    }

    static func packageArchives(_ store: any Store) async throws {
        // Over two parts' worth, with every byte value, so parts join in order and nothing is re-encoded.
        let archive = Data((0..<1_300_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) })
        #expect(try await store.packageArchive(digest: "feed") == nil)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { try await store.savePackageArchive(digest: "feed", archive) } }
            try await group.waitForAll()
        }
        try await store.savePackageArchive(digest: "feed", archive)
        #expect(try await store.packageArchive(digest: "feed") == archive)
        try await store.savePackageArchive(digest: "empty", Data())
        #expect(try await store.packageArchive(digest: "empty") == Data())
    }

    static func jobs(_ store: any Store) async throws {
        let first = JobRecord(name: "report", kind: "triggered", packageDigest: "aa", createdAt: t0, updatedAt: t0)
        try await store.saveJob(first)
        try await store.saveJob(JobRecord(name: "alpha", kind: "continuous", packageDigest: "bb", createdAt: t0, updatedAt: t0))
        let later = t0.addingTimeInterval(60)
        try await store.saveJob(
            JobRecord(
                name: "report", kind: "scheduled", packageDigest: "cc", settings: #"{"schedule":"0 * * * *"}"#,
                enabled: false, createdAt: later, updatedAt: later))
        let replaced = try #require(try await store.job(named: "report"))
        #expect(replaced.kind == "scheduled")
        #expect(replaced.packageDigest == "cc")
        #expect(replaced.settings == #"{"schedule":"0 * * * *"}"#)
        #expect(replaced.enabled == false)
        #expect(abs(replaced.createdAt.timeIntervalSince(t0)) < 0.001)
        #expect(abs(replaced.updatedAt.timeIntervalSince(later)) < 0.001)
        #expect(try await store.jobs().map(\.name) == ["alpha", "report"])
        #expect(try await store.deleteJob(named: "alpha"))
        #expect(try await store.deleteJob(named: "alpha") == false)
        #expect(try await store.job(named: "alpha") == nil)
    }

    static func ticks(_ store: any Store) async throws {
        var new = newRun(["report.sh"])
        new.job = "report"
        new.trigger = .schedule
        let due = t0.addingTimeInterval(3600)
        let run = try #require(try await store.claimTick(job: "report", due: due, run: new))
        #expect(run.job == "report")
        #expect(run.trigger == .schedule)
        #expect(run.scheduledFor == due, "the tick's run carries its due time")
        #expect(try await store.run(id: run.id)?.scheduledFor == due)
        #expect(try await store.createRun(newRun()).scheduledFor == nil)
        #expect(try await store.claimTick(job: "report", due: due, run: new) == nil)
        var other = new
        other.job = "other"
        #expect(try await store.claimTick(job: "other", due: due, run: other) != nil)
        // Racing claimers of one tick: exactly one run is created.
        let next = due.addingTimeInterval(3600)
        let scheduled = new
        let winners = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { try await store.claimTick(job: "report", due: next, run: scheduled) == nil ? 0 : 1 }
            }
            return try await group.reduce(0, +)
        }
        #expect(winners == 1)
        #expect(try await store.runs(RunQuery(jobs: ["report"])).count == 2)
        #expect(try await store.runs(RunQuery(jobs: ["nothing"])).isEmpty)
    }

    static func skippedTicks(_ store: any Store) async throws {
        var new = newRun(["job.sh"])
        new.job = "report"
        let ended = t0.addingTimeInterval(5)
        let skip = SkippedTick(reason: "skipped: run 3 was still running (overlap: skip)", endedAt: ended)
        let run = try #require(try await store.claimTick(job: "report", due: t0, run: new, skipped: skip))
        #expect(run.state == .stopped)
        #expect(run.reason == skip.reason)
        #expect(abs((run.endedAt ?? .distantPast).timeIntervalSince(ended)) < 0.001)
        #expect(run.startedAt == nil && run.pid == nil)
        #expect(run.hasMoreData == false)
        #expect(try await store.run(id: run.id) == run)
        // The tick is taken: neither a run nor another skip claims it again; the job's resume point moved.
        #expect(try await store.claimTick(job: "report", due: t0, run: new) == nil)
        #expect(try await store.claimTick(job: "report", due: t0, run: new, skipped: skip) == nil)
        #expect(try await store.lastTick(job: "report") == t0)
        #expect(try await store.runs(RunQuery(jobs: ["report"])).map(\.id) == [run.id])
        // Its state is final like any other finished run's.
        try await store.updateRun(id: run.id, RunUpdate(state: .running))
        #expect(try await store.run(id: run.id)?.state == .stopped)
        // Concurrent claims of one tick, skipped or not, still make one run.
        let next = t0.addingTimeInterval(60)
        let scheduled = new
        let winners = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<8 {
                group.addTask {
                    let claimed = try await store.claimTick(job: "report", due: next, run: scheduled, skipped: index % 2 == 0 ? skip : nil)
                    return claimed == nil ? 0 : 1
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(winners == 1)
        #expect(try await store.runs(RunQuery(jobs: ["report"])).count == 2)
    }

    static func tickHistory(_ store: any Store) async throws {
        var new = newRun(["job.sh"])
        new.job = "hourly"
        #expect(try await store.lastTick(job: "hourly") == nil)
        var runs: [Run] = []
        for hour in 1...3 {
            runs.append(try #require(try await store.claimTick(job: "hourly", due: t0.addingTimeInterval(Double(hour) * 3600), run: new)))
        }
        #expect(try await store.lastTick(job: "hourly") == t0.addingTimeInterval(3 * 3600))
        // Pruning keeps each job's latest tick, so an old tick is never claimed twice after it.
        try await store.pruneTicks(before: t0.addingTimeInterval(10 * 3600))
        #expect(try await store.lastTick(job: "hourly") == t0.addingTimeInterval(3 * 3600))
        #expect(try await store.claimTick(job: "hourly", due: t0.addingTimeInterval(3 * 3600), run: new) == nil)
        var other = newRun(["other.sh"])
        other.job = "other"
        let otherRun = try await store.createRun(other)
        _ = try await store.createRun(newRun())
        let latest = try await store.latestRunOfEachJob()
        #expect(latest.keys.sorted() == ["hourly", "other"])
        #expect(latest["hourly"]?.id == runs[2].id)
        #expect(latest["other"]?.id == otherRun.id)
    }
}
