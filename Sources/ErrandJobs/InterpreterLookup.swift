import Foundation

/// Finds programs the way the runner will at launch: a path with `/` is checked as is, a bare name is searched
/// in `PATH`. Injectable so entry-point tests do not depend on what this machine has installed.
public struct InterpreterLookup: Sendable {
    /// `PATH` to search, `:`-separated.
    public var path: String
    /// Whether a file exists and is executable; replaced in tests.
    public var isExecutable: @Sendable (String) -> Bool

    public init(path: String, isExecutable: @escaping @Sendable (String) -> Bool) {
        self.path = path
        self.isExecutable = isExecutable
    }

    /// This machine's programs, searched in `path` (default: the daemon's own `PATH`).
    public static func system(path: String? = nil) -> InterpreterLookup {
        InterpreterLookup(path: path ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin") {
            var info = stat()
            guard stat($0, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
            return access($0, X_OK) == 0
        }
    }

    /// A fake machine that has exactly `programs` (absolute paths), for tests.
    public static func fake(_ programs: Set<String>, path: String = "/usr/local/bin:/usr/bin:/bin") -> InterpreterLookup {
        InterpreterLookup(path: path) { programs.contains($0) }
    }

    /// The full path of `name`, or `nil` when it is not installed.
    public func resolve(_ name: String) -> String? {
        if name.contains("/") { return isExecutable(name) ? name : nil }
        for directory in path.split(separator: ":") where directory.hasPrefix("/") {
            let candidate = "\(directory)/\(name)"
            if isExecutable(candidate) { return candidate }
        }
        return nil
    }
}
