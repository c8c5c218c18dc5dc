import ErrandCore

/// What every page's frame shows: title, navigation, instance, the CSRF token its forms post, and a
/// sign-out button when the daemon signs browsers in.
struct Chrome: Sendable {
    enum Section: String, Sendable {
        case jobs, runs, instances, deploy
    }

    var title: String
    var instance: String
    /// Where the daemon keeps its runs (no password).
    var store: String
    var version = ErrandVersion.current
    var csrf: String
    var css: String
    var js: String
    var navJobs: Bool
    var navRuns: Bool
    var navDeploy: Bool
    var navInstances: Bool
    var signOut = false

    init(title: String, section: Section, instance: String, store: String, csrf: String, css: String, js: String) {
        self.title = title
        self.instance = instance
        self.store = store
        self.csrf = csrf
        self.css = css
        self.js = js
        navJobs = section == .jobs
        navRuns = section == .runs
        navDeploy = section == .deploy
        navInstances = section == .instances
    }
}

/// The colour family of a state badge (CSS class `state-…`).
enum StateStyle {
    static func of(_ state: RunState) -> String {
        switch state {
        case .completed: "ok"
        case .failed: "bad"
        case .running, .stopping: "live"
        case .notStarted, .pendingRestart: "wait"
        case .stopped, .inactiveInstance: "muted"
        case .blocked, .disconnected: "warn"
        }
    }
}
