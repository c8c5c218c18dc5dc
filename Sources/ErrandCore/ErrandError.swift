/// The one error type users see: a stable code (mapped to an HTTP status and an exit code) and a
/// message that says what to do.
public struct ErrandError: Error, Sendable, Equatable, CustomStringConvertible, Codable {
    public enum Code: String, Sendable, Codable {
        case badRequest = "bad_request"
        case notFound = "not_found"
        case conflict = "conflict"
        case tooLarge = "too_large"
        /// No token, or one the daemon does not know (HTTP 401).
        case unauthorized = "unauthorized"
        /// A valid token whose role is too low for the request (HTTP 403).
        case forbidden = "forbidden"
        /// A known path asked with a method it does not have (HTTP 405, with `Allow`).
        case methodNotAllowed = "method_not_allowed"
        case unavailable = "unavailable"
        case unreachable = "unreachable"
        case `internal` = "internal"

        /// The HTTP status of an error with this code: one table for the API's JSON errors, the dashboard's
        /// error pages and the client reading either.
        public var httpStatus: Int {
            switch self {
            case .badRequest: 400
            case .notFound: 404
            case .conflict: 409
            case .tooLarge: 413
            case .unauthorized: 401
            case .forbidden: 403
            case .methodNotAllowed: 405
            case .unavailable, .unreachable: 503
            case .internal: 500
            }
        }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func badRequest(_ message: String) -> ErrandError { .init(.badRequest, message) }
    public static func notFound(_ message: String) -> ErrandError { .init(.notFound, message) }
    public static func conflict(_ message: String) -> ErrandError { .init(.conflict, message) }
    public static func noSuchRun(_ id: Int64) -> ErrandError { .notFound("no run with id \(id)") }
}
