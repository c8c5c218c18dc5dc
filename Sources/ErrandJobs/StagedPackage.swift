import Foundation

/// A package unpacked into a staging folder and checked, not yet stored or in use.
///
/// Everything the deploy needs to decide is here, so the daemon can validate (settings, entry point,
/// interpreter) before anything replaces the running version.
public struct StagedPackage: Sendable, Hashable {
    /// The package's root after unwrapping a lone top-level folder: the future job folder.
    public var root: URL
    /// The staging folder that holds `root`; removed by `PackageStore.store` or `discard`.
    public var stagingDirectory: URL
    /// Regular files (links to files inside the package included), for entry-point detection.
    public var files: [PackageFile]
    /// SHA-256 over paths, kinds, exec bits, link targets and contents: the name the package is stored under.
    public var digest: String
    /// Entries in the source (files, folders, links).
    public var entryCount: Int
    /// File bytes written.
    public var unpackedBytes: Int64
    /// The folders that were unwrapped (`["myjob"]` for a zip holding only `myjob/`), for the deploy log.
    public var unwrapped: [String]

    /// The content of `settings.job` at the package root, if there is one.
    public func settingsData() -> Data? {
        try? Data(contentsOf: root.appendingPathComponent("settings.job"))
    }
}
