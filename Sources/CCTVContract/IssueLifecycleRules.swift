import Foundation

/// The incident lifecycle's rules, in one place: which states each person's action applies in and
/// where it leads. The issues service enforces them (`IssueLifecycle`); the dashboard reads them
/// from `GET /api/vocabulary` to decide which buttons an incident shows.
extension IssueCommand.Name {
    /// The incident states this action is allowed in (empty: not an action on one incident).
    public var allowedFrom: [IssueState] {
        switch self {
        case .acknowledge: [.open]
        case .dispatch: [.open, .acknowledged]
        case .markFixed: [.open, .acknowledged, .dispatched]
        case .close: [.resolved]
        case .note: IssueState.allCases
        case .silence, .unsilence, .endSilence, .listSilences: []
        }
    }

    /// The state the action moves an incident to; `nil` when it keeps the state (a note) or the
    /// checks decide (mark fixed resolves once they confirm).
    public var target: IssueState? {
        switch self {
        case .acknowledge: .acknowledged
        case .dispatch: .dispatched
        case .close: .closed
        case .markFixed, .note, .silence, .unsilence, .endSilence, .listSilences: nil
        }
    }

    /// The REST path segment: `POST /api/issues/{id}/{path}`.
    public var restPath: String? {
        switch self {
        case .acknowledge: "acknowledge"
        case .dispatch: "dispatch"
        case .markFixed: "fix"
        case .close: "close"
        case .note: "note"
        case .silence, .unsilence, .endSilence, .listSilences: nil
        }
    }

    /// Whether the action needs an actor (who does it): every state change does.
    public var needsActor: Bool { self != .note }
}
