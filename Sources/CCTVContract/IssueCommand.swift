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
        /// Holds notifications for a camera, site or tag until `until` (maintenance window).
        case silence
        /// Ends a silence early.
        case unsilence
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

/// A maintenance window: checks go on and incidents are recorded, notifications are held.
public struct Silence: Codable, Sendable, Equatable {
    public enum Scope: String, Codable, Sendable, CaseIterable { case camera, site, tag }
    public var id: String
    public var scope: Scope
    /// Camera id, site name or tag.
    public var value: String
    public var until: Date
    public var reason: String?
    public var createdBy: String?

    public init(id: String = UUID().uuidString, scope: Scope, value: String, until: Date, reason: String? = nil, createdBy: String? = nil) {
        self.id = id; self.scope = scope; self.value = value; self.until = until; self.reason = reason; self.createdBy = createdBy
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
