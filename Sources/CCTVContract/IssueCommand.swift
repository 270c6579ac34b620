import Foundation

/// A lifecycle command for an incident (`issue.command` on `issues/commands`), from the dashboard,
/// the REST API or any MQTT tool. Answered with `issue.reply` on the response topic.
public struct IssueCommand: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable, CaseIterable {
        /// OPEN → ACKNOWLEDGED: someone has seen it.
        case acknowledge
        /// OPEN / ACKNOWLEDGED → DISPATCHED: a technician is on the way (site visit).
        case dispatch
        /// A person says it is fixed; it resolves when the checks confirm (at once if they already do).
        case markFixed
        /// RESOLVED → CLOSED.
        case close
        /// Adds a note without changing the state.
        case note
        /// Creates a maintenance window — or replaces the one with the same `silence.id` (an edit).
        case silence
        /// Deletes a maintenance window (without an id: lists them, as older tools expect).
        case unsilence
        /// Ends a maintenance window now: a one-off one is over, a recurring one skips the rest of
        /// its current occurrence and comes back at the next.
        case endSilence
        /// Lists the maintenance windows.
        case listSilences
    }

    public var action: Action
    /// The incident, for every action but silence/unsilence.
    public var issueID: String?
    /// Who does it (required for state changes).
    public var actor: String?
    public var note: String?
    /// For silence: what it covers.
    public var silence: Silence?

    public init(action: Action, issueID: String? = nil, actor: String? = nil, note: String? = nil, silence: Silence? = nil) {
        self.action = action; self.issueID = issueID; self.actor = actor; self.note = note; self.silence = silence
    }
}

/// A maintenance window (planned work): checks go on and incidents are recorded, notifications
/// are held. Once — from `startsAt` (or now) to `until` — or recurring every week on some days
/// (`recurrence`) until `until` ends the series. When it applies: ``MaintenanceSchedule``.
public struct Silence: Codable, Sendable, Equatable {
    /// What the window covers: one camera, a site, a tag, or every camera of a line team or vendor.
    public enum Scope: String, Codable, Sendable, CaseIterable { case camera, site, tag, lineTeam, vendor }
    public var id: String
    public var scope: Scope
    /// Camera id, site name, tag, or team id.
    public var value: String
    /// When it starts; `nil` = at once.
    public var startsAt: Date?
    /// When a one-off window ends; for a recurring one, when the series ends.
    public var until: Date
    /// Every week on these days at this time, for this long; `nil` = once.
    public var recurrence: Recurrence?
    /// Ended early: not in force before this time (the end of the occurrence that was ended).
    public var pausedUntil: Date?
    public var reason: String?
    public var createdBy: String?

    public init(id: String = UUID().uuidString, scope: Scope, value: String, startsAt: Date? = nil, until: Date, recurrence: Recurrence? = nil,
                pausedUntil: Date? = nil, reason: String? = nil, createdBy: String? = nil) {
        self.id = id; self.scope = scope; self.value = value; self.startsAt = startsAt; self.until = until; self.recurrence = recurrence
        self.pausedUntil = pausedUntil; self.reason = reason; self.createdBy = createdBy
    }
}

/// A weekly schedule: on `days` (1 = Monday … 7 = Sunday) at `start` (`HH:mm`, in `timeZone`) for `minutes`.
public struct Recurrence: Codable, Sendable, Equatable {
    public var days: [Int]
    public var start: String
    public var minutes: Int
    /// An IANA zone name, e.g. `Asia/Seoul`: 02:00 stays 02:00 across daylight-saving changes.
    public var timeZone: String

    public init(days: [Int], start: String, minutes: Int, timeZone: String) {
        self.days = days; self.start = start; self.minutes = minutes; self.timeZone = timeZone
    }
}

/// The answer to an `IssueCommand`.
public struct IssueReply: Codable, Sendable, Equatable {
    public var ok: Bool
    public var issue: IssueRecord?
    public var silences: [Silence]?
    public var error: ContractError?

    public init(ok: Bool, issue: IssueRecord? = nil, silences: [Silence]? = nil, error: ContractError? = nil) {
        self.ok = ok; self.issue = issue; self.silences = silences; self.error = error
    }
}

/// One step in an incident's life, kept in its history.
public struct IssueTransition: Codable, Sendable, Equatable {
    public var from: IssueState?
    public var to: IssueState
    /// `system` for automatic steps.
    public var actor: String
    public var at: Date
    public var note: String?

    public init(from: IssueState?, to: IssueState, actor: String, at: Date, note: String? = nil) {
        self.from = from; self.to = to; self.actor = actor; self.at = at; self.note = note
    }
}
