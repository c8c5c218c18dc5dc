import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Content-addressed package storage with an atomic "current version" per job.
///
/// Layout under `directory` (all on one file system, so every step is a `rename`):
/// ```
/// staging/<random>/        unpacking in progress; anything left here after a crash is garbage
/// packages/<sha256>/       immutable package trees, shared by identical deploys
/// active/<job>             symlink -> ../packages/<sha256>, replaced with one rename(2)
/// ```
/// A deploy stages, validates, stores, then swaps the link. Until the swap nothing the running job uses has
/// changed, so a failed deploy (bad zip, bad settings, missing interpreter, full disk) leaves the previous
/// version and its settings intact, fixing Kudu's "upload failed, job gone" (kudu.md §6).
public struct PackageStore: Sendable {
    public let directory: URL
    public var limits: PackageLimits

    public init(directory: URL, limits: PackageLimits = PackageLimits()) {
        self.directory = directory
        self.limits = limits
    }

    var stagingDirectory: URL { directory.appendingPathComponent("staging") }
    var packagesDirectory: URL { directory.appendingPathComponent("packages") }
    var activeDirectory: URL { directory.appendingPathComponent("active") }

    /// Unpacks `source` into a new staging folder and checks it (limits, paths, links, special files).
    public func stage(_ source: PackageSource) throws(DeployError) -> StagedPackage {
        try prepare()
        let staging = stagingDirectory.appendingPathComponent(UUID().uuidString)
        return try PackageUnpacker(limits: limits).unpack(source, into: staging)
    }

    /// Moves a staged package to `packages/<digest>/`, or reuses the copy already there, and removes the staging
    /// folder either way.
    public func store(_ staged: StagedPackage) throws(DeployError) -> StoredPackage {
        defer { discard(staged) }
        let target = packagesDirectory.appendingPathComponent(staged.digest, isDirectory: true)
        let stored = StoredPackage(digest: staged.digest, root: target)
        if FileManager.default.fileExists(atPath: target.path) { return stored }
        if rename(staged.root.path, target.path) != 0 {
            // Another deploy of the same content won the race: its copy is identical.
            if errno == EEXIST || errno == ENOTEMPTY { return stored }
            throw StagingTree.ioError("store the package in", target.path)
        }
        syncDirectory(packagesDirectory)
        return stored
    }

    /// Removes a staged package that will not be used.
    public func discard(_ staged: StagedPackage) {
        try? FileManager.default.removeItem(at: staged.stagingDirectory)
    }

    /// Makes `package` the current version of `job` with one atomic rename of its link; returns the previous
    /// version, if any. Readers of `active/<job>` see the old or the new version, never neither.
    @discardableResult
    public func activate(_ package: StoredPackage, for job: JobName) throws(DeployError) -> StoredPackage? {
        try prepare()
        let previous = active(for: job)
        let link = activeDirectory.appendingPathComponent(job.rawValue)
        let temporary = activeDirectory.appendingPathComponent(".\(job.rawValue).\(UUID().uuidString)")
        guard symlink("../packages/\(package.digest)", temporary.path) == 0 else {
            throw StagingTree.ioError("create the link", temporary.path)
        }
        guard rename(temporary.path, link.path) == 0 else {
            let error = StagingTree.ioError("activate the package at", link.path)
            unlink(temporary.path)
            throw error
        }
        syncDirectory(activeDirectory)
        return previous
    }

    /// The current version of `job`, or `nil` when it has none.
    public func active(for job: JobName) -> StoredPackage? {
        let link = activeDirectory.appendingPathComponent(job.rawValue)
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: link.path),
            let digest = target.split(separator: "/").last.map(String.init), Self.isDigest(digest)
        else { return nil }
        return StoredPackage(digest: digest, root: packagesDirectory.appendingPathComponent(digest, isDirectory: true))
    }

    /// Removes `job`'s link (the job is deleted); its package stays until `collectGarbage`.
    public func deactivate(_ job: JobName) throws(DeployError) {
        let link = activeDirectory.appendingPathComponent(job.rawValue)
        if unlink(link.path) != 0, errno != ENOENT { throw StagingTree.ioError("remove", link.path) }
    }

    /// Stage, validate, store, activate: the whole deploy. `validate` sees the staged package and may refuse it
    /// (bad settings, no entry point, missing interpreter); nothing changes for the running job unless it returns.
    public func deploy<Checked>(
        _ source: PackageSource, as job: JobName, validate: (StagedPackage) throws(DeployError) -> Checked
    ) throws(DeployError) -> (package: StoredPackage, checked: Checked) {
        let staged = try stage(source)
        let checked: Checked
        do {
            checked = try validate(staged)
        } catch {
            discard(staged)
            throw error
        }
        let stored = try store(staged)
        try activate(stored, for: job)
        return (stored, checked)
    }

    /// The folder of a stored package.
    public func root(ofPackage digest: String) -> URL {
        packagesDirectory.appendingPathComponent(digest, isDirectory: true)
    }

    /// Deletes packages that no job's link points to (and that are not in `keeping`) and staging
    /// leftovers; returns the digests removed. Call when no deploy is in progress (at daemon start).
    @discardableResult
    public func collectGarbage(keeping: Set<String> = []) -> [String] {
        try? FileManager.default.removeItem(at: stagingDirectory)
        let links = (try? FileManager.default.contentsOfDirectory(atPath: activeDirectory.path)) ?? []
        for name in links where name.hasPrefix(".") {
            unlink(activeDirectory.appendingPathComponent(name).path)
        }
        let inUse = Set(links.compactMap { JobName(rawValue: $0).flatMap(active(for:))?.digest }).union(keeping)
        let stored = (try? FileManager.default.contentsOfDirectory(atPath: packagesDirectory.path)) ?? []
        var removed: [String] = []
        for digest in stored.sorted() where !inUse.contains(digest) {
            if (try? FileManager.default.removeItem(at: packagesDirectory.appendingPathComponent(digest))) != nil {
                removed.append(digest)
            }
        }
        return removed
    }

    private func prepare() throws(DeployError) {
        for folder in [directory, stagingDirectory, packagesDirectory, activeDirectory] {
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw DeployError(.io, "cannot create \(folder.path): \(error.localizedDescription)")
            }
        }
        // The daemon's alone, also when the data dir lets runs as other users pass through it.
        chmod(directory.path, 0o700)
    }

    private func syncDirectory(_ url: URL) {
        let fd = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    static func isDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
