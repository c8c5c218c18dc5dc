import Foundation

/// A package in content-addressed storage: `packages/<digest>/` under the store's folder. Never changed after
/// it is stored; a new deploy makes (or reuses) another one.
public struct StoredPackage: Sendable, Hashable {
    public var digest: String
    /// The package's folder (the job folder when the job runs in place).
    public var root: URL

    public init(digest: String, root: URL) {
        self.digest = digest
        self.root = root
    }
}
