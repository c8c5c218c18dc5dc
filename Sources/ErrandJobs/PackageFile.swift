/// What entry-point detection needs to know about one regular file of a package, gathered at the edge so that
/// detection itself is pure and testable with literal tables.
public struct PackageFile: Sendable, Hashable {
    /// Relative to the package root, with `/` separators (`run.sh`, `bin/worker.py`).
    public var path: String
    /// Any execute bit set.
    public var isExecutable: Bool
    /// The first bytes of the file (at least `PackageFile.headLength` when the file is that long), for `#!`.
    public var head: [UInt8]

    /// How many leading bytes are read for the `#!` line.
    public static let headLength = 256

    public init(path: String, isExecutable: Bool = false, head: [UInt8] = []) {
        self.path = path
        self.isExecutable = isExecutable
        self.head = head
    }

    /// Convenience for tests and callers that have text: the head is the UTF-8 of `head`.
    public init(path: String, isExecutable: Bool = false, text head: String) {
        self.init(path: path, isExecutable: isExecutable, head: Array(head.utf8.prefix(Self.headLength)))
    }

    /// The last path component.
    public var name: String { path.split(separator: "/").last.map(String.init) ?? path }

    /// Whether the file sits at the package root (automatic detection looks only there, as Kudu).
    public var isTopLevel: Bool { !path.contains("/") }

    /// The lower-cased extension with its dot (`.py`), or `""`.
    public var fileExtension: String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[dot...]).lowercased()
    }
}
