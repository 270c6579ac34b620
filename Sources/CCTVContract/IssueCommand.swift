import Foundation

/// A lifecycle command for an incident (`issue.command` on `issues/commands`), from the dashboard,
/// the REST API or any MQTT tool: what to do (``Action``, with exactly the fields it needs) and who
/// does it. Answered with `issue.reply` on the response topic.
///
/// On the wire it is one flat object named by its `action` field, e.g.
/// `{"action":"acknowledge","issueID":"ISS-1","actor":"kim","note":"…"}`; a required field that is
/// missing is refused (``ContractError`` thrown while decoding).
public struct IssueCommand: Codable, Sendable, Equatable {
    /// What is asked.
    public enum Action: Sendable, Equatable {
        /// OPEN → ACKNOWLEDGED: someone has seen it.
        case acknowledge(issueID: String, note: String?)
        /// OPEN / ACKNOWLEDGED → DISPATCHED: a technician is on the way (site visit).
        case dispatch(issueID: String, note: String?)
        /// A person says it is fixed; it resolves when the checks confirm (at once if they already do).
        case markFixed(issueID: String, note: String?)
        /// RESOLVED → CLOSED.
        case close(issueID: String, note: String?)
        /// Adds a note without changing the state.
        case note(issueID: String, note: String?)
        /// Creates a maintenance window — or replaces the one with the same `silence.id` (an edit).
        case silence(Silence)
        /// Deletes maintenance window `id` (without an id: only lists them, as older tools expect).
        case unsilence(id: String?)
        /// Ends maintenance window `id` now: a one-off one is over, a recurring one skips the rest of
        /// its current occurrence and comes back at the next.
        case endSilence(id: String)
        /// Lists the maintenance windows.
        case listSilences

        /// A step on one incident (acknowledge, dispatch, mark fixed, close, note).
        /// - Returns: `nil` for a name that is not a step on one incident.
        public static func step(_ name: Name, issueID: String, note: String?) -> Action? {
            switch name {
            case .acknowledge: .acknowledge(issueID: issueID, note: note)
            case .dispatch: .dispatch(issueID: issueID, note: note)
            case .markFixed: .markFixed(issueID: issueID, note: note)
            case .close: .close(issueID: issueID, note: note)
            case .note: .note(issueID: issueID, note: note)
            case .silence, .unsilence, .endSilence, .listSilences: nil
            }
        }

        /// The incident and note of a step on one incident; `nil` for the maintenance-window actions.
        public var incidentStep: (issueID: String, note: String?)? {
            switch self {
            case let .acknowledge(issueID, note), let .dispatch(issueID, note), let .markFixed(issueID, note),
                 let .close(issueID, note), let .note(issueID, note):
                (issueID, note)
            case .silence, .unsilence, .endSilence, .listSilences:
                nil
            }
        }

        /// The wire name (the JSON `action` field).
        public var name: Name {
            switch self {
            case .acknowledge: .acknowledge
            case .dispatch: .dispatch
            case .markFixed: .markFixed
            case .close: .close
            case .note: .note
            case .silence: .silence
            case .unsilence: .unsilence
            case .endSilence: .endSilence
            case .listSilences: .listSilences
            }
        }
    }

    /// The names of the actions, as the JSON `action` field spells them; the lifecycle's rules
    /// (``allowedFrom``, ``target``) and the dashboard's words are said per name.
    public enum Name: String, Codable, Sendable, CaseIterable {
        case acknowledge, dispatch, markFixed, close, note
        case silence, unsilence, endSilence, listSilences
    }

    public var action: Action
    /// Who does it (required for state changes).
    public var actor: String?

    public init(_ action: Action, actor: String? = nil) {
        self.action = action
        self.actor = actor
    }

    /// The incident, for a step on one incident.
    public var issueID: String? { action.incidentStep?.issueID }
}

extension IssueCommand {
    /// The flat JSON fields; which ones an action uses is in ``Action``.
    enum CodingKeys: String, CodingKey { case action, issueID, actor, note, silence }

    /// Of `silence` in `unsilence` / `endSilence`, only the id is read.
    enum SilenceKeys: String, CodingKey { case id }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        actor = try c.decodeIfPresent(String.self, forKey: .actor)
        let name = try c.decode(Name.self, forKey: .action)
        func silenceID() throws -> String? {
            guard c.contains(.silence), try !c.decodeNil(forKey: .silence) else { return nil }
            return try c.nestedContainer(keyedBy: SilenceKeys.self, forKey: .silence).decode(String.self, forKey: .id)
        }
        switch name {
        case .acknowledge, .dispatch, .markFixed, .close, .note:
            guard let issueID = try c.decodeIfPresent(String.self, forKey: .issueID) else {
                throw ContractError(code: "not_found", field: "issueID", message: "no incident with id ")
            }
            action = Action.step(name, issueID: issueID, note: try c.decodeIfPresent(String.self, forKey: .note))!
        case .silence:
            guard let silence = try c.decodeIfPresent(Silence.self, forKey: .silence) else {
                throw ContractError(code: "bad_request", field: "silence", message: "silence {scope, value, until} is required")
            }
            action = .silence(silence)
        case .unsilence:
            // Older tools name the window in `issueID`.
            action = .unsilence(id: try silenceID() ?? c.decodeIfPresent(String.self, forKey: .issueID))
        case .endSilence:
            guard let id = try silenceID() else {
                throw ContractError(code: "not_found", field: "silence.id", message: "no maintenance window with id ")
            }
            action = .endSilence(id: id)
        case .listSilences:
            action = .listSilences
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(action.name, forKey: .action)
        try c.encodeIfPresent(actor, forKey: .actor)
        switch action {
        case let .acknowledge(issueID, note), let .dispatch(issueID, note), let .markFixed(issueID, note),
             let .close(issueID, note), let .note(issueID, note):
            try c.encode(issueID, forKey: .issueID)
            try c.encodeIfPresent(note, forKey: .note)
        case let .silence(silence):
            try c.encode(silence, forKey: .silence)
        case let .unsilence(id?), let .endSilence(id):
            // A whole window around the id: services before typed commands decode `silence` as one.
            try c.encode(Silence(id: id, scope: .camera, value: "-", until: Date(timeIntervalSince1970: 0)), forKey: .silence)
        case .unsilence(nil), .listSilences:
            break
        }
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
