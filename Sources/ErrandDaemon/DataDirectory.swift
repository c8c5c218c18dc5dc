import ErrandCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where the daemon keeps its database and logs.
public enum DataDirectory {
    /// Creates the data dir (and its parents) and makes it private (0700) whatever the umask: it holds
    /// the store (every run's environment and output), the token database and the daemon's log. When runs
    /// are launched as other users it is 0711 instead: they may pass through it to their jobs' folders, but
    /// not list it, and every file in it is the daemon's own (the database 0600).
    /// `passable` nil (a CLI command working on the store) keeps a data dir that is already 0711 so.
    public static func create(_ path: String, passable: Bool? = nil) throws {
        let permissions = try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        let alreadyPassable = permissions.map { $0 & 0o777 == 0o711 } ?? false
        let mode: mode_t = (passable ?? alreadyPassable) ? 0o711 : 0o700
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
        guard chmod(path, mode) == 0 else {
            throw ErrandError.badRequest(
                "cannot set the data dir \(path)'s permissions (chmod \(String(mode, radix: 8))): \(String(cString: strerror(errno)))")
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
