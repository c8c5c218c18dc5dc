import Foundation

/// Job packages kept in the store as zip archives keyed by the package's digest (the sha256 of its
/// unpacked tree), so that every daemon sharing the store can run every deployed job: a daemon's data dir
/// then only caches packages unpacked.
///
/// Guarantees (pinned by the store contract): saving is idempotent (a digest is stored once, whoever saves
/// it and however often); an archive reads back byte for byte; an unknown digest is nil.
public protocol PackageArchiveStore: Sendable {
    /// Stores `archive` as the package `digest` (nothing happens when that digest is stored already).
    func savePackageArchive(digest: String, _ archive: Data) async throws
    /// The archive of package `digest`, or nil.
    func packageArchive(digest: String) async throws -> Data?
}

extension PackageArchiveStore {
    /// Archives are stored in parts of this size (rows of a few hundred KiB stay cheap to write and read).
    static var archivePartBytes: Int { 512 * 1024 }
}
