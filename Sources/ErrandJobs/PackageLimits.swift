/// How big a package may be. Every limit is checked while unpacking, on the bytes actually written, so an
/// archive that lies in its headers (a zip bomb) is stopped at the limit, not after filling the disk.
public struct PackageLimits: Sendable, Hashable, Codable {
    /// Largest zip file accepted (the source document's 100 MB).
    public var maxArchiveBytes: Int64
    /// Largest total of file bytes after unpacking.
    public var maxUnpackedBytes: Int64
    /// Most entries (files, folders and links) in one package.
    public var maxEntries: Int

    public static let defaultMaxArchiveBytes: Int64 = 100 * 1_000_000
    public static let defaultMaxUnpackedBytes: Int64 = 1 << 30
    public static let defaultMaxEntries = 10_000

    public init(
        maxArchiveBytes: Int64 = defaultMaxArchiveBytes, maxUnpackedBytes: Int64 = defaultMaxUnpackedBytes,
        maxEntries: Int = defaultMaxEntries
    ) {
        self.maxArchiveBytes = maxArchiveBytes
        self.maxUnpackedBytes = maxUnpackedBytes
        self.maxEntries = maxEntries
    }
}
