import ErrandCore

/// A validated job name: `^[A-Za-z0-9][A-Za-z0-9_-]*$`, at most `Names.maxLength` characters, not only digits.
///
/// The rule is the one ErrandCore's `Names` applies to runs and throttle groups (the WebJobs portal's rule,
/// plus "not only digits" so that a name never reads as a run id). A job name becomes a folder name and part
/// of URLs, so holding it as a type means no code path can build a path from an unchecked string.
public struct JobName: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public let rawValue: String

    /// Fails with a message that says which characters are allowed.
    public init(validating text: String) throws(ErrandError) {
        try Names.validate(text, what: "job name")
        rawValue = text
    }

    /// `nil` when `rawValue` breaks the naming rule.
    public init?(rawValue: String) {
        guard (try? Names.validate(rawValue, what: "job name")) != nil else { return nil }
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
