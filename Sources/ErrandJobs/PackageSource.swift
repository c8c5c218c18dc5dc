import Foundation

/// Where a package comes from: a folder on this machine, or a zip file (an upload is first streamed to a file).
public enum PackageSource: Sendable, Hashable {
    case folder(URL)
    case zip(URL)

    /// A folder if `url` is a directory, else a zip file; `badSource` when nothing is there.
    public static func at(_ url: URL) throws(DeployError) -> PackageSource {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw DeployError(.badSource, "\(url.path) does not exist; give a folder or a .zip file")
        }
        return isDirectory.boolValue ? .folder(url) : .zip(url)
    }
}
