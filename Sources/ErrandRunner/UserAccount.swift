import ErrandCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A system account a run can be launched as (`errand serve --run-as`, a job's `run_as`): its ids and
/// groups as the system's user database says, read when the run is launched, so a changed group list
/// applies to the next run.
public struct UserAccount: Sendable, Hashable {
    public var name: String
    public var uid: uid_t
    public var gid: gid_t
    /// Supplementary groups, as `initgroups` would set them for a login.
    public var groups: [gid_t]
    public var home: String
    public var shell: String

    /// The account called `name` (or given as a numeric uid); throws a message saying which name is unknown.
    public static func named(_ name: String) throws(ErrandError) -> UserAccount {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        let found: Int32 =
            if let uid = uid_t(name) {
                getpwuid_r(uid, &entry, &buffer, buffer.count, &result)
            } else {
                getpwnam_r(name, &entry, &buffer, buffer.count, &result)
            }
        guard found == 0, result != nil else {
            throw ErrandError.badRequest("there is no user '\(name)' on this machine (see /etc/passwd or `getent passwd`)")
        }
        let userName = String(cString: entry.pw_name)
        return UserAccount(
            name: userName, uid: entry.pw_uid, gid: entry.pw_gid,
            groups: supplementaryGroups(of: userName, primary: entry.pw_gid),
            home: String(cString: entry.pw_dir), shell: String(cString: entry.pw_shell))
    }

    /// The groups `name` belongs to (its primary group included), as `getgrouplist` reads them.
    static func supplementaryGroups(of name: String, primary: gid_t) -> [gid_t] {
        var count: Int32 = 64
        while true {
            var groups = [gid_t](repeating: 0, count: Int(count))
            let previous = count
            if getgrouplist(name, primary, &groups, &count) >= 0 { return Array(groups.prefix(Int(count))) }
            // Too small: `count` now says how many there are (guard against a library that does not say).
            if count <= previous { count = previous * 2 }
            if count > 65_536 { return [primary] }
        }
    }

    /// util-linux's `setpriv`, which a run as another user is started through: it sets the groups and ids in
    /// a fresh single-threaded process, then executes the run's program (nil when it is not installed).
    public static let switcher: String? = ["/usr/bin/setpriv", "/bin/setpriv"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    public static let missingSwitcher =
        "setpriv (from util-linux) is not installed; it is needed to launch runs as another user"

    /// `setpriv`'s arguments that make the process this account, before `--` and the program.
    var switchArguments: [String] {
        let others = groups.filter { $0 != gid }
        return [
            "--reuid=\(uid)", "--regid=\(gid)",
            others.isEmpty ? "--clear-groups" : "--groups=" + others.map(String.init).joined(separator: ","), "--",
        ]
    }

    /// True when this process may launch runs as `account`: it is root, or `account` is its own user.
    public static func canSwitch(to account: UserAccount) -> Bool {
        geteuid() == 0 || geteuid() == account.uid
    }

    /// The variables a login as this account would have, for a run whose environment was not given by
    /// its caller: nothing of the daemon's own environment reaches another user's run.
    public var loginEnvironment: [String: String] {
        var variables = [
            "HOME": home, "USER": name, "LOGNAME": name, "SHELL": shell.isEmpty ? "/bin/sh" : shell,
            "PATH": uid == 0 ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" : "/usr/local/bin:/usr/bin:/bin",
        ]
        if let language = ProcessInfo.processInfo.environment["LANG"] { variables["LANG"] = language }
        return variables
    }

    /// `environment` with the account's identity (HOME, USER, LOGNAME, SHELL) in place of whoever sent it.
    public func identifying(_ environment: [String: String]) -> [String: String] {
        var result = environment
        for (key, value) in loginEnvironment where ["HOME", "USER", "LOGNAME", "SHELL"].contains(key) {
            result[key] = value
        }
        return result
    }

    /// A folder the run may start in when none was given: the account's home when it exists, else `/`.
    public var startingDirectory: String {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: home, isDirectory: &isDirectory) && isDirectory.boolValue ? home : "/"
    }

    /// Makes `url` and everything under it belong to this account (symbolic links themselves, not their
    /// targets), so a run as this account can use the folder the daemon prepared for it.
    public func take(_ url: URL) throws(ErrandError) {
        var failures: [String] = []
        func own(_ path: String) {
            if lchown(path, uid, gid) != 0 { failures.append("\(path): \(String(cString: strerror(errno)))") }
        }
        own(url.path)
        if let walker = FileManager.default.enumerator(atPath: url.path) {
            while let relative = walker.nextObject() as? String { own(url.path + "/" + relative) }
        }
        if let first = failures.first {
            throw ErrandError(.internal, "cannot give \(url.path) to user '\(name)' (\(failures.count) files): \(first)")
        }
    }
}
