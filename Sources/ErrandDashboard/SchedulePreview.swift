import ErrandSchedule
import Foundation

/// The deploy form's live preview: a cron expression or a recurrence object in words with its next
/// instants, or the reason it is rejected and the field at fault. Pure (the time is passed in).
struct SchedulePreview: Codable, Sendable, Equatable {
    var description: String?
    /// The next instants in the schedule's zone, e.g. `2026-11-24 09:30:00 Tue +01:00`.
    var next: [String]
    var error: String?
    /// `cron`, `timeZone`, or the recurrence's JSON path (`schedule.hours[0]`).
    var field: String?

    static func compute(cron: String?, recurrence: String?, timeZone: String?, now: Date, count: Int = 5) -> SchedulePreview {
        var zone = TimeZone.current
        if let name = timeZone?.trimmingCharacters(in: .whitespaces), !name.isEmpty {
            guard let named = Recurrence.zone(named: name) else {
                return failure("\"\(name)\" is not an IANA time zone such as Europe/London", field: "timeZone")
            }
            zone = named
        }
        let schedule: any Schedule
        if let cron = cron?.trimmingCharacters(in: .whitespaces), !cron.isEmpty {
            do {
                schedule = try CronExpression(parsing: cron)
            } catch {
                return failure(error.description, field: "cron")
            }
        } else if let recurrence = recurrence?.trimmingCharacters(in: .whitespacesAndNewlines), !recurrence.isEmpty {
            do {
                let parsed = try Recurrence(json: Data(recurrence.utf8))
                if let own = parsed.timeZone { zone = own }
                schedule = parsed
            } catch {
                return failure(error.message, field: error.field.map { "recurrence.\($0)" } ?? "recurrence")
            }
        } else {
            return failure("give a cron expression or a recurrence", field: "cron")
        }
        var instants: [String] = []
        var cursor = now
        while instants.count < count, let next = schedule.next(after: cursor, in: zone) {
            instants.append(format(next, in: zone))
            cursor = next
        }
        return SchedulePreview(description: schedule.description, next: instants, error: nil, field: nil)
    }

    static func failure(_ message: String, field: String) -> SchedulePreview {
        SchedulePreview(description: nil, next: [], error: message, field: field)
    }

    /// `2026-11-24 09:30:00 Tue +01:00`: the wall clock where the job runs, with its offset.
    static func format(_ date: Date, in zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let offset = zone.secondsFromGMT(for: date)
        let sign = offset < 0 ? "-" : "+"
        let text = String(
            format: "%04d-%02d-%02d %02d:%02d:%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
        return
            "\(text) \(days[((c.weekday ?? 1) - 1) % 7]) \(sign)\(String(format: "%02d:%02d", abs(offset) / 3600, abs(offset) % 3600 / 60))"
    }
}
