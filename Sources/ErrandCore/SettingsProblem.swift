/// One thing wrong with a `settings.job`: the key at fault and what to do about it.
///
/// Problems are collected, never thrown one at a time, so a user sees every mistake in one deploy; and they are
/// kept with the job so `errand job show` can list them later. `error`s make the value unusable (the deploy
/// should be refused); `warning`s leave the job runnable but something the user wrote has no effect.
public struct SettingsProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Codable {
        case error
        case warning
    }

    /// The key (or path, such as `retries.count` or `recurrence.schedule.hours[0]`); `nil` for the whole file.
    public var field: String?
    public var message: String
    public var severity: Severity

    public init(field: String?, _ message: String, severity: Severity = .error) {
        self.field = field
        self.message = message
        self.severity = severity
    }

    /// `field: message`, or the message alone: the way the CLI and the API print a problem.
    public var description: String {
        guard let field else { return message }
        return "\(field): \(message)"
    }
}
