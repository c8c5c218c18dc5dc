/// How a cron expression behaves when the local clock jumps (daylight-saving changes, zone changes).
///
/// These are Debian cron's rules as the Python library cronsim reproduces them.
public enum DaylightSavingRule: Sendable, Hashable {
    /// Fixed-time jobs: expressions whose minute and hour fields (and second field, in the six-field form) do not
    /// start with `*` (`30 2 * * *`, `0 30 2 * * *`, `0 9-17 * * 1-5`, `@daily`). They are computed on the wall clock:
    /// - a wall time that is skipped when clocks go forward fires once, at the instant the gap ends
    ///   (02:30 on a 02:00→03:00 night fires at 03:00); several skipped times collapse into that one run;
    /// - a wall time that occurs twice when clocks go back fires once, at its first occurrence.
    case wallClock
    /// Everything else (`*/15 * * * *`, `0 * * * *`, `*/10 * * * * *`, any zone without changes): the job
    /// fires at every real instant whose local time matches, so skipped wall times never fire and repeated wall
    /// times fire twice.
    case elapsed
}
