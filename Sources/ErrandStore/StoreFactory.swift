import ErrandCore

/// Turns a ``StoreLocation`` into a running-ready engine. The one place that knows which engines exist.
public enum StoreFactory {
    /// Opens (creating and migrating when needed) the engine at `location`. The caller runs it as a
    /// `Service` (first in its `ServiceGroup`) and uses it as `any Store`.
    public static func open(_ location: StoreLocation) throws -> any StoreEngine {
        switch location {
        case .sqlite(let path):
            return try SQLiteStore(path: path)
        case .postgres:
            throw ErrandError(
                .badRequest,
                "the PostgreSQL store (\(location)) is not supported yet; use sqlite:PATH or leave --store out for the data directory's SQLite file"
            )
        }
    }

    /// Parses `text` (nil: the default in `dataDirectory`) and opens the engine.
    public static func open(_ text: String?, dataDirectory: String) throws -> any StoreEngine {
        try open(StoreLocation(parsing: text, dataDirectory: dataDirectory))
    }
}
