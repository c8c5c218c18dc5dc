import ErrandCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where the daemon keeps its database and logs.
public enum DataDirectory {
    /// Creates the data dir (and its parents) and makes it private (0700) whatever the umask: it holds
    /// the store (every run's environment and output), the token database and the daemon's log.
    public static func create(_ path: String) throws {
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        guard chmod(path, 0o700) == 0 else {
            throw ErrandError.badRequest("cannot make the data dir \(path) private (chmod 700): \(String(cString: strerror(errno)))")
        }
    }

    /// `--data-dir`, else `$ERRAND_DATA_DIR`, else `$XDG_DATA_HOME/errand`, else `~/.local/share/errand`.
    public static func resolve(_ option: String?) -> String {
        let environment = ProcessInfo.processInfo.environment
        if let option, !option.isEmpty { return option }
        if let value = environment["ERRAND_DATA_DIR"], !value.isEmpty { return value }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/errand" }
        return FileManager.default.homeDirectoryForCurrentUser.path + "/.local/share/errand"
    }
}
