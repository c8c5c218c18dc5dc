import ErrandCore
import Logging

/// Turns a ``StoreLocation`` into a running-ready engine. The one place that knows which engines exist.
public enum StoreFactory {
    /// Opens (creating and migrating when needed) the engine at `location`. The caller runs it as a
    /// `Service` (first in its `ServiceGroup`) and uses it as `any Store`.
    public static func open(_ location: StoreLocation, logger: Logger) async throws -> any StoreEngine {
        switch location {
        case .sqlite(let path):
            return try SQLiteStore(path: path)
        case .postgres(let url):
            return try await PostgresStore.open(url, logger: logger)
        }
    }

    /// Parses `text` (nil: the default in `dataDirectory`) and opens the engine.
    public static func open(_ text: String?, dataDirectory: String, logger: Logger) async throws -> any StoreEngine {
        try await open(StoreLocation(parsing: text, dataDirectory: dataDirectory), logger: logger)
    }
}
