import Foundation

/// A path inside a package, checked: relative, no `..`, no NUL, no drive letter. Zips made on Windows
/// sometimes use `\` as separator; it is read as `/` so that `..\..\x` is caught like `../../x`.
struct EntryPath: Hashable {
    var components: [String]

    init(_ raw: String) throws(DeployError) {
        let text = raw.replacingOccurrences(of: "\\", with: "/")
        if text.hasPrefix("/") {
            throw DeployError(.unsafePath, "the package entry \"\(raw)\" has an absolute path; entries must be relative to the job folder")
        }
        if text.contains("\0") { throw DeployError(.unsafePath, "the package entry \"\(raw)\" has a NUL byte in its name") }
        let parts = text.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
        if let first = parts.first, first.count == 2, first.hasSuffix(":") {
            throw DeployError(.unsafePath, "the package entry \"\(raw)\" starts with a drive letter; entries must be relative")
        }
        if parts.contains("..") {
            throw DeployError(.unsafePath, "the package entry \"\(raw)\" contains '..' and would be written outside the job folder")
        }
        guard !parts.isEmpty else { throw DeployError(.unsafePath, "the package has an entry with an empty name (\"\(raw)\")") }
        components = parts
    }

    init(components: [String]) { self.components = components }

    var text: String { components.joined(separator: "/") }

    /// Whether a link stored at this path with `target` stays inside the package, read without following any
    /// link (the physical check comes after unpacking).
    func contains(linkTarget target: String) -> Bool {
        if target.hasPrefix("/") || target.isEmpty { return false }
        var stack = components.dropLast()
        for part in target.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            if part == ".." {
                if stack.isEmpty { return false }
                stack.removeLast()
            } else {
                stack.append(String(part))
            }
        }
        return true
    }
}
