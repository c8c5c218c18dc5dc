import ErrandCore
import ErrandRunner
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A job's folders under `jobs/<name>/`: `data` (ERRAND_DATA_PATH, kept across runs and deploys), `shutdown`
/// (the files that ask runs to stop), `work/<copy>` (fresh copies of the package) and, for runs as another
/// user that work in place, `site/<digest>`.
///
/// For a run as another user the daemon gives the job's folders to that user and lets others pass through
/// (not read) the folders above, so the run reaches what is its own and nothing else of the data dir.
struct JobFolders {
    let root: URL
    let account: UserAccount?

    var data: URL { root.appendingPathComponent("data", isDirectory: true) }
    var shutdown: URL { root.appendingPathComponent("shutdown", isDirectory: true) }
    var copies: URL { root.appendingPathComponent("work", isDirectory: true) }
    func site(digest: String) -> URL {
        root.appendingPathComponent("site", isDirectory: true).appendingPathComponent(digest, isDirectory: true)
    }

    /// Creates the folders a run needs (each call: a job removed meanwhile may have taken them).
    init(jobsDirectory: URL, job: String, account: UserAccount?) throws {
        root = jobsDirectory.appendingPathComponent(job, isDirectory: true)
        self.account = account
        let manager = FileManager.default
        for folder in [data, shutdown, copies] {
            try manager.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        // Passable by all, readable by none: the data dir (0711 when users switch) and jobs/. A job's own folder
        // is private unless its runs are another user's.
        chmod(jobsDirectory.path, 0o711)
        guard let account else {
            chmod(root.path, 0o700)
            return
        }
        // The shutdown folder readable too, so a run may watch it for its file.
        for folder in [root, copies] { chmod(folder.path, 0o711) }
        chmod(shutdown.path, 0o755)
        try manager.createDirectory(at: root.appendingPathComponent("site"), withIntermediateDirectories: true)
        chmod(root.appendingPathComponent("site").path, 0o711)
        var status = stat()
        if stat(data.path, &status) == 0, status.st_uid != account.uid {
            try account.take(data)
            chmod(data.path, 0o700)
        }
    }

    /// A copy of the package folder at `target`, given to the run's user when it has one.
    func copy(_ package: URL, to target: URL, job: String) throws {
        do {
            try FileManager.default.copyItem(at: package, to: target)
        } catch {
            throw ErrandError(.internal, "cannot copy the package of '\(job)' for a run: \(error.localizedDescription)")
        }
        try account?.take(target)
    }
}
