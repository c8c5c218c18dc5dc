import ErrandCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One daemon per data dir: a second one would take the first one's running runs for leftovers
/// of a crash. Held with `flock` on `daemon.lock` (released by the kernel if the daemon dies);
/// `daemon.pid` says who holds it.
public struct DataDirectoryLock: Sendable {
    private let descriptor: Int32
    private let pidPath: String

    /// Takes the lock, or fails with a conflict naming the daemon that holds it.
    public init(directory: String) throws {
        let lockPath = directory + "/daemon.lock"
        pidPath = directory + "/daemon.pid"
        descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ErrandError.badRequest("cannot open \(lockPath): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            let holder = (try? String(contentsOfFile: pidPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            throw ErrandError.conflict(
                "another errand daemon\(holder.map { " (pid \($0))" } ?? "") already uses the data dir \(directory)")
        }
        try? "\(getpid())\n".write(toFile: pidPath, atomically: true, encoding: .utf8)
    }

    /// Gives the lock up (the kernel does so too when the process ends).
    public func release() {
        try? FileManager.default.removeItem(atPath: pidPath)
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
