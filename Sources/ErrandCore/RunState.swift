/// Where a run is in its life. PowerShell's job states are the vocabulary; `PendingRestart` and
/// `InactiveInstance` come from WebJobs' continuous jobs.
public enum RunState: String, Codable, Sendable, CaseIterable, Hashable {
    case notStarted = "NotStarted"
    case running = "Running"
    case completed = "Completed"
    case failed = "Failed"
    case stopping = "Stopping"
    case stopped = "Stopped"
    case blocked = "Blocked"
    case disconnected = "Disconnected"
    case pendingRestart = "PendingRestart"
    case inactiveInstance = "InactiveInstance"

    /// Finished = Completed ∪ Failed ∪ Stopped: nothing more will happen to the run.
    public var isFinished: Bool {
        switch self {
        case .completed, .failed, .stopped: true
        default: false
        }
    }

    /// Parses a state name the way users type it: any case, with or without the camel hump.
    public init?(userInput: String) {
        let wanted = userInput.lowercased()
        guard let match = RunState.allCases.first(where: { $0.rawValue.lowercased() == wanted }) else { return nil }
        self = match
    }
}
