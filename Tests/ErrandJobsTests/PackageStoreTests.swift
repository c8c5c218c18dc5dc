import ErrandCore
import ErrandTestSupport
import Foundation
import Testing

@testable import ErrandJobs

@Suite struct PackageStoreTests {
    let job = try! JobName(validating: "report")

    func folder(_ temp: borrowing TemporaryDirectory, _ name: String, run: String) throws -> PackageSource {
        try temp.write("\(name)/run.sh", run)
        return .folder(temp.path(name))
    }

    func validate(_ staged: StagedPackage) throws(DeployError) -> EntryPoint {
        let settings = JobSettings(parsing: staged.settingsData() ?? Data())
        if let error = settings.problems(for: .triggered).first(where: { $0.severity == .error }) {
            throw DeployError(.invalidSettings, "settings.job: \(error)")
        }
        return try EntryPoint.detect(files: staged.files, entryPoint: settings.entryPoint, lookup: .fake(["/usr/bin/bash"]))
    }

    @Test func deployStoresByDigestAndActivates() throws {
        let temp = try TemporaryDirectory()
        let store = PackageStore(directory: temp.path("store"))
        let first = try store.deploy(try folder(temp, "v1", run: "echo v1\n"), as: job, validate: validate)
        #expect(first.checked.argv == ["bash", "run.sh"])
        #expect(first.package.root.standardizedFileURL.path == temp.path("store/packages/\(first.package.digest)").path)
        #expect(store.active(for: job) == first.package)
        let activeRun = temp.path("store/active/report/run.sh")
        #expect(try String(contentsOf: activeRun, encoding: .utf8) == "echo v1\n")

        let second = try store.deploy(try folder(temp, "v2", run: "echo v2\n"), as: job, validate: validate)
        #expect(second.package.digest != first.package.digest)
        #expect(try String(contentsOf: activeRun, encoding: .utf8) == "echo v2\n")

        // Identical content is stored once.
        let again = try store.deploy(try folder(temp, "v1-copy", run: "echo v1\n"), as: job, validate: validate)
        #expect(again.package.digest == first.package.digest)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path("store/packages").path).count == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path("store/staging").path).isEmpty)
    }

    /// Every kind of failed deploy leaves the previous version active and untouched.
    @Test func failedDeploysLeaveThePreviousVersion() throws {
        let temp = try TemporaryDirectory()
        let store = PackageStore(directory: temp.path("store"))
        let good = try store.deploy(try folder(temp, "good", run: "echo good\n"), as: job, validate: validate)

        var slip = ZipWriter()
        slip.file("run.sh", "echo evil\n")
        slip.file("../x", "x")
        try slip.write(to: temp.path("slip.zip"))
        try temp.write("badsettings/run.sh", "echo\n")
        try temp.write("badsettings/settings.job", #"{"schedule": "61 * * * *"}"#)
        try temp.write("python/run.py", "print(1)\n")
        try temp.write("empty/README.md", "nothing to run")
        try Data("PK\u{3}\u{4}garbage".utf8).write(to: temp.path("corrupt.zip"))

        let failures: [(PackageSource, DeployError.Code)] = [
            (.zip(temp.path("slip.zip")), .unsafePath),
            (.folder(temp.path("badsettings")), .invalidSettings),
            (.folder(temp.path("python")), .missingInterpreter),
            (.folder(temp.path("empty")), .noEntryPoint),
            (.zip(temp.path("corrupt.zip")), .corruptArchive),
        ]
        for (source, code) in failures {
            #expect {
                _ = try store.deploy(source, as: job, validate: validate)
            } throws: { error in
                (error as? DeployError)?.code == code
            }
            #expect(store.active(for: job) == good.package)
            #expect(try String(contentsOf: temp.path("store/active/report/run.sh"), encoding: .utf8) == "echo good\n")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path("store/staging").path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path("store/packages").path) == [good.package.digest])
    }

    @Test func activateReturnsThePreviousVersionAndGarbageIsCollected() throws {
        let temp = try TemporaryDirectory()
        let store = PackageStore(directory: temp.path("store"))
        let other = try JobName(validating: "other")
        let a = try store.store(try store.stage(try folder(temp, "a", run: "echo a\n")))
        let b = try store.store(try store.stage(try folder(temp, "b", run: "echo b\n")))
        let c = try store.store(try store.stage(try folder(temp, "c", run: "echo c\n")))
        #expect(try store.activate(a, for: job) == nil)
        #expect(try store.activate(b, for: job) == a)
        try store.activate(c, for: other)
        #expect(store.collectGarbage() == [a.digest])
        try store.deactivate(other)
        #expect(store.active(for: other) == nil)
        #expect(store.collectGarbage() == [c.digest])
        #expect(store.active(for: job) == b)
        try store.deactivate(other)
    }
}
