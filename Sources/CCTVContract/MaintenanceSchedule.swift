import Foundation

/// When a maintenance window (``Silence``) is in force. Pure: the issues service asks it whether a
/// camera's notifications are held, the gateway asks it what to show as "now" and "next".
public enum MaintenanceSchedule {
    /// Longest single occurrence of a recurring window: one week.
    public static let maxMinutes = 7 * 24 * 60
    /// A one-off window may end at most this far ahead; a recurring series at most `maxSeries`.
    public static let maxOneOff: TimeInterval = 90 * 86_400
    public static let maxSeries: TimeInterval = 5 * 366 * 86_400

    /// The window of `silence` that contains `now`, or `nil` when it is not in force.
    public static func window(of silence: Silence, containing now: Date) -> DateInterval? {
        if let paused = silence.pausedUntil, now < paused { return nil }
        guard now < silence.until else { return nil }
        guard let recurrence = silence.recurrence else {
            let start = silence.startsAt ?? .distantPast
            return start <= now ? DateInterval(start: start, end: silence.until) : nil
        }
        let span = TimeInterval(recurrence.minutes * 60)
        for start in occurrences(recurrence, from: now.addingTimeInterval(-span), through: now) where start.addingTimeInterval(span) > now {
            if let first = silence.startsAt, start < first { continue }
            return DateInterval(start: start, end: min(start.addingTimeInterval(span), silence.until))
        }
        return nil
    }

    /// The window in force at `now`, else the next one to start (within 8 days for a recurring
    /// window), or `nil` when there is none.
    public static func nextWindow(of silence: Silence, from now: Date) -> DateInterval? {
        if let current = window(of: silence, containing: now) { return current }
        let from = max(now, silence.pausedUntil ?? now, silence.startsAt ?? now)
        guard from < silence.until else { return nil }
        guard let recurrence = silence.recurrence else {
            return DateInterval(start: from, end: silence.until)
        }
        let span = TimeInterval(recurrence.minutes * 60)
        guard let start = occurrences(recurrence, from: from, through: from.addingTimeInterval(8 * 86_400)).first, start < silence.until else { return nil }
        return DateInterval(start: start, end: min(start.addingTimeInterval(span), silence.until))
    }

    /// Whether `silence` is about a camera with these fields (whenever it is in force). A site
    /// incident's pseudo camera `SITE:<site>` counts as being at that site.
    public static func covers(_ silence: Silence, cameraID: String, site: String?, tags: [String]?, lineTeam: String?, vendor: String?) -> Bool {
        switch silence.scope {
        case .camera: silence.value == cameraID
        case .site: (site ?? (cameraID.hasPrefix(IssueRecord.sitePrefix) ? String(cameraID.dropFirst(IssueRecord.sitePrefix.count)) : nil)) == silence.value
        case .tag: tags?.contains(silence.value) == true
        case .lineTeam: lineTeam == silence.value
        case .vendor: vendor == silence.value
        }
    }

    /// Whether nothing of `silence` can be in force any more (it may be removed).
    public static func isOver(_ silence: Silence, at now: Date) -> Bool { now >= silence.until }

    /// `silence` ended at `now`: a one-off window is over; a recurring one pauses until the end of
    /// its current occurrence and comes back at the next.
    public static func endedEarly(_ silence: Silence, at now: Date) -> Silence {
        var ended = silence
        if silence.recurrence == nil {
            ended.until = min(silence.until, now)
        } else if let current = window(of: silence, containing: now) {
            ended.pausedUntil = current.end
        }
        return ended
    }

    /// Checks a new or edited window.
    /// - Throws: ``ContractError`` `invalid_field` naming the field at fault.
    public static func validate(_ silence: Silence, now: Date) throws(ContractError) {
        func invalid(_ field: String, _ message: String) -> ContractError { ContractError(code: "invalid_field", field: "silence.\(field)", message: message) }
        guard !silence.value.trimmingCharacters(in: .whitespaces).isEmpty, silence.value.count <= 200 else { throw invalid("value", "value must be 1–200 characters") }
        if let reason = silence.reason, reason.count > 500 { throw invalid("reason", "reason is longer than 500 characters") }
        guard silence.until > now else { throw invalid("until", "until must be in the future") }
        if let start = silence.startsAt, start >= silence.until { throw invalid("startsAt", "startsAt must be before until") }
        guard let recurrence = silence.recurrence else {
            guard silence.until <= now.addingTimeInterval(maxOneOff) else { throw invalid("until", "a one-off window ends within 90 days") }
            return
        }
        guard silence.until <= now.addingTimeInterval(maxSeries) else { throw invalid("until", "a recurring window's series ends within 5 years") }
        guard !recurrence.days.isEmpty, recurrence.days.allSatisfy({ (1...7).contains($0) }) else {
            throw invalid("recurrence.days", "days must list 1 (Monday) to 7 (Sunday)")
        }
        guard time(recurrence.start) != nil else { throw invalid("recurrence.start", "start must be HH:mm, e.g. 02:00") }
        guard (1...maxMinutes).contains(recurrence.minutes) else { throw invalid("recurrence.minutes", "minutes must be 1–\(maxMinutes)") }
        guard TimeZone(identifier: recurrence.timeZone) != nil else { throw invalid("recurrence.timeZone", "timeZone must be a zone name such as Asia/Seoul") }
    }

    /// Starts of `recurrence`'s occurrences in `from...through`, in order.
    static func occurrences(_ recurrence: Recurrence, from: Date, through: Date) -> [Date] {
        guard let (hour, minute) = time(recurrence.start), let zone = TimeZone(identifier: recurrence.timeZone) else { return [] }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var starts: [Date] = []
        for day in Set(recurrence.days) where (1...7).contains(day) {
            // ISO 1 = Monday … 7 = Sunday; Calendar's weekday is 1 = Sunday … 7 = Saturday.
            let matching = DateComponents(hour: hour, minute: minute, second: 0, weekday: day % 7 + 1)
            var cursor = from.addingTimeInterval(-1)
            while let next = calendar.nextDate(after: cursor, matching: matching, matchingPolicy: .nextTime), next <= through {
                if next >= from { starts.append(next) }
                cursor = next
            }
        }
        return starts.sorted()
    }

    /// `HH:mm` → (hour, minute).
    static func time(_ text: String) -> (Int, Int)? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[0].count <= 2, parts[1].count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]),
              (0...23).contains(hour), (0...59).contains(minute) else { return nil }
        return (hour, minute)
    }
}
