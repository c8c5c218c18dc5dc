import ErrandCore

/// Why a package was refused or could not be stored, with a message a user can act on.
///
/// The `code` lets the daemon choose the HTTP status (413 for `tooLarge`, 400 for the rest of the user's
/// mistakes, 500 for `io`) and lets tests check the reason without matching text.
public struct DeployError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable, CaseIterable {
        /// The archive, one entry or the unpacked total is over a limit.
        case tooLarge = "too_large"
        /// More entries than the limit allows.
        case tooManyEntries = "too_many_entries"
        /// An absolute path, a `..` component, or a name that cannot be a file name.
        case unsafePath = "unsafe_path"
        /// A symbolic link that points outside the job folder, or an entry written through a link.
        case symlinkEscape = "symlink_escape"
        /// A device, FIFO or socket.
        case specialFile = "special_file"
        /// The same path twice.
        case duplicateEntry = "duplicate_entry"
        /// Not a zip, truncated, a bad checksum, an unsupported compression or encryption.
        case corruptArchive = "corrupt_archive"
        /// Nothing to run, or the `entry_point` setting names something unusable.
        case noEntryPoint = "no_entry_point"
        /// The entry point needs an interpreter this host does not have.
        case missingInterpreter = "missing_interpreter"
        /// `settings.job` has errors.
        case invalidSettings = "invalid_settings"
        /// The source does not exist or is not a folder or zip file.
        case badSource = "bad_source"
        /// The host failed to read or write (disk full, permissions): not the user's mistake.
        case io = "io"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// The error the API and CLI report: a bad request for everything the user can fix, internal for `io`.
    public var errandError: ErrandError {
        switch code {
        case .io: ErrandError(.internal, message)
        case .tooLarge, .tooManyEntries: ErrandError(.tooLarge, message)
        default: ErrandError(.badRequest, "\(code.rawValue): \(message)")
        }
    }
}
