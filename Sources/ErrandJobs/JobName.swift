import ErrandCore

/// A validated job name: `^[A-Za-z0-9][A-Za-z0-9_-]*$`, at most `Names.maxLength` characters (only digits allowed).
///
/// The WebJobs portal's rule (`Names.validateJobName`). Unlike run names, a job name may be only digits: job
/// commands and routes take job names only, so it never reads as a run id there. Names are unique ignoring case
/// (the store's rule). A job name becomes a folder name and part of URLs, so holding it as a type means no code
/// path can build a path from an unchecked string.
public struct JobName: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public let rawValue: String

    /// Fails with a message that says which characters are allowed.
    public init(validating text: String) throws(ErrandError) {
        try Names.validateJobName(text)
        rawValue = text
    }

    /// `nil` when `rawValue` breaks the naming rule.
    public init?(rawValue: String) {
        guard (try? Names.validateJobName(rawValue)) != nil else { return nil }
        self.rawValue = rawValue
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(validating: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    public static func < (lhs: JobName, rhs: JobName) -> Bool { lhs.rawValue < rhs.rawValue }
}
