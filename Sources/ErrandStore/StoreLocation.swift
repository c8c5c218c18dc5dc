import ErrandCore
import Foundation

/// Where the store lives, as given by `--store` (or the configuration): `sqlite:PATH` or a PostgreSQL URL.
/// Without one, the SQLite file `errand.sqlite` in the data directory.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    /// An SQLite file (created when missing).
    case sqlite(path: String)
    /// A PostgreSQL database (`postgres://` or `postgresql://` URL, kept as written).
    case postgres(url: String)

    /// The file name of the default store inside the data directory.
    public static let defaultFileName = "errand.sqlite"

    /// The default: `errand.sqlite` in `dataDirectory`.
    public static func `default`(dataDirectory: String) -> StoreLocation {
        .sqlite(path: dataDirectory + "/" + defaultFileName)
    }

    /// Parses `sqlite:PATH`, `postgres://…` or `postgresql://…`; nil or empty text is the default location.
    /// A relative SQLite path is taken relative to `dataDirectory`.
    public init(parsing text: String?, dataDirectory: String) throws(ErrandError) {
        guard let text, !text.isEmpty else {
            self = .default(dataDirectory: dataDirectory)
            return
        }
        let lower = text.lowercased()
        if lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") {
            _ = try PostgresURL(parsing: text)  // checked now: a bad URL is an error of the option, not of start-up
            self = .postgres(url: text)
        } else if lower.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            // `sqlite:///abs/path` (URL style) is the same file as `sqlite:/abs/path`.
            if path.hasPrefix("//") { path.removeFirst(2) }
            guard !path.isEmpty, !path.contains("\0") else {
                throw .badRequest("the store 'sqlite:' names no file: use sqlite:PATH, e.g. sqlite:/var/lib/errand/errand.sqlite")
            }
            self = .sqlite(path: path.hasPrefix("/") ? path : dataDirectory + "/" + path)
        } else {
            throw .badRequest(
                "unknown store '\(text)': use sqlite:PATH (an SQLite file) or postgres://USER@HOST/DATABASE")
        }
    }

    /// The location for messages, logs and status pages; a PostgreSQL URL without its password.
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:" + path
        case .postgres(let url):
            // postgres://user:secret@host/db → postgres://user@host:5432/db
            return (try? PostgresURL(parsing: url))?.description ?? PostgresURL.redacted(url)
        }
    }
}
