/// The one error type users see: a stable code (mapped to an HTTP status and an exit code) and a
/// message that says what to do.
public struct ErrandError: Error, Sendable, Equatable, CustomStringConvertible, Codable {
    public enum Code: String, Sendable, Codable {
        case badRequest = "bad_request"
        case notFound = "not_found"
        case conflict = "conflict"
        case tooLarge = "too_large"
        case unavailable = "unavailable"
        case unreachable = "unreachable"
        case `internal` = "internal"
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
