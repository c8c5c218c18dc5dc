import ErrandCore

/// The errors a store reports, for every engine alike. They are ``ErrandError``s with the code that says
/// what a caller can do, so the one table that turns codes into HTTP statuses (ErrandServer's
/// `HTTPResponse.Status(_:)`, used by the API and the dashboard) and into CLI exit codes stays the only
/// mapping; an engine never lets its driver's errors out as they are.
///
/// | kind            | code           | HTTP                   | when                                          |
/// |-----------------|----------------|------------------------|-----------------------------------------------|
/// | ``notFound(_:)``    | `notFound`     | 404                    | a write names something that is not there     |
/// | ``conflict(_:)``    | `conflict`     | 409                    | a uniqueness rule refused the write           |
/// | ``unavailable(_:)`` | `unavailable`  | 503 with `Retry-After` | the engine cannot serve now (disk full, read-only, locked, connection lost): retrying later may work |
/// | ``invalid(_:)``     | `badRequest`   | 400                    | the request cannot be stored (too large, out of range) |
///
/// Lookups of a missing id or name are not errors: they return nil or false (see the capability protocols).
public enum StoreError {
    public static func notFound(_ message: String) -> ErrandError { ErrandError(.notFound, message) }

    public static func conflict(_ message: String) -> ErrandError { ErrandError(.conflict, message) }

    /// Retryable: `reason` says what is wrong (and, ideally, what makes it right again).
    public static func unavailable(_ reason: String) -> ErrandError { ErrandError(.unavailable, reason) }

    public static func invalid(_ message: String) -> ErrandError { ErrandError(.badRequest, message) }

    /// True when the error says the store could not serve now and the same request may succeed later.
    public static func isRetryable(_ error: any Error) -> Bool {
        (error as? ErrandError)?.code == .unavailable
    }
}

/// Messages of migrations that cannot go on by themselves.
enum SchemaMessages {
    /// Job names became unique ignoring case (schema v10 / 3): names that differ only in case must be resolved by hand.
    /// (No `'` in the text: PostgreSQL's migration embeds it in a string literal.)
    static func nameClashes(_ clashes: [String]) -> String {
        "the jobs " + clashes.joined(separator: "; ")
            + " differ only in case, which this errand no longer allows (job names ignore case, as in Kudu): remove"
            + " all but one of each with the errand that deployed them (errand job remove NAME), then start this one"
    }
}
