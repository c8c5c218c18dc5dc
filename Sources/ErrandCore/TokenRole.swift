import Foundation

/// What a token may do. Roles are ordered: each includes everything the ones below it may do.
public enum TokenRole: String, Sendable, Codable, CaseIterable, Comparable {
    /// Read runs, output, logs, events, jobs, history and settings.
    case reader
    /// A reader that also starts, stops and removes runs, triggers jobs and starts/stops continuous jobs.
    case `operator`
    /// Everything: deploy and delete jobs, replace settings, manage tokens.
    case admin

    private var rank: Int {
        switch self {
        case .reader: 0
        case .operator: 1
        case .admin: 2
        }
    }

    public static func < (lhs: TokenRole, rhs: TokenRole) -> Bool { lhs.rank < rhs.rank }
}

/// A token as the API lists it: never the secret, only its public prefix.
public struct TokenInfo: Sendable, Codable, Equatable {
    public var name: String
    public var role: TokenRole
    /// The start of the secret (`errand_…`), enough to recognise a token without revealing it.
    public var prefix: String
    public var createdAt: Date
    public var lastUsedAt: Date?

    public init(name: String, role: TokenRole, prefix: String, createdAt: Date, lastUsedAt: Date? = nil) {
        self.name = name
        self.role = role
        self.prefix = prefix
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}

/// `POST /api/v1/tokens`.
public struct NewTokenRequest: Sendable, Codable, Equatable {
    public var name: String
    public var role: TokenRole

    public init(name: String, role: TokenRole) {
        self.name = name
        self.role = role
    }
}

/// The answer to creating a token: the only time its secret is shown.
public struct CreatedToken: Sendable, Codable, Equatable {
    public var token: TokenInfo
    public var secret: String

    public init(token: TokenInfo, secret: String) {
        self.token = token
        self.secret = secret
    }
}
