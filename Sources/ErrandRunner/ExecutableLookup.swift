import Foundation

/// Finds the program a run names, the way a shell would: a name with a slash is a path (relative
/// to the run's working directory); a bare name is looked up in the run's own `PATH`.
public enum ExecutableLookup {
    public static func resolve(_ name: String, path: String?, workingDirectory: String?) -> String? {
        let fileManager = FileManager.default
        if name.contains("/") {
            let full = name.hasPrefix("/") ? name : ((workingDirectory ?? fileManager.currentDirectoryPath) + "/" + name)
            return isExecutableFile(full) ? full : nil
        }
        let directories = (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":", omittingEmptySubsequences: false)
        for directory in directories {
            let base = directory.isEmpty ? (workingDirectory ?? ".") : String(directory)
            let candidate = base + "/" + name
            if isExecutableFile(candidate) { return candidate }
        }
        return nil
    }

    static func isExecutableFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
            && FileManager.default.isExecutableFile(atPath: path)
    }
}
