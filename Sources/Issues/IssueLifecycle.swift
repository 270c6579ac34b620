import CCTVContract
import Foundation

/// The people's side of an incident: acknowledge, dispatch (site visit), mark fixed, close, note.
/// Pure: `(issue, track, command) -> issue` or a refusal naming the illegal transition.
package enum IssueLifecycle {
    /// Applies `command` to `issue`. `track` is the camera's current state (to confirm a fix);
    /// `nil` when the incident is no longer the camera's open one.
    package static func apply(
        _ command: IssueCommand, to issue: IssueRecord, track: CameraTrack?, policy: IssuePolicy, now: Date
    ) throws(ContractError) -> IssueRecord {
        var issue = issue
        let actor = command.actor?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let name = command.action.name
        if name.needsActor && actor.isEmpty {
            throw ContractError(code: "bad_request", field: "actor", message: "actor (who does this) is required for \(name.rawValue)")
        }
        if actor.count > 200 { throw ContractError(code: "invalid_field", field: "actor", message: "actor is longer than 200 characters") }
        guard let step = command.action.incidentStep else {
            throw ContractError(code: "bad_request", field: "action", message: "\(name.rawValue) applies to cameras, sites or tags, not to one incident")
        }
        let note = step.note.map { String($0.prefix(2000)) }
        switch command.action {
        case .acknowledge, .dispatch, .close:
            guard let target = name.target else { throw illegal(issue.state, name.rawValue) }
            try require(issue, in: name.allowedFrom, for: target)
            issue.record(IssueTransition(from: issue.state, to: target, actor: actor, at: now, note: note))
            issue.state = target
        case .markFixed:
            guard name.allowedFrom.contains(issue.state) else { throw illegal(issue.state, "mark fixed") }
            issue.fixReportedBy = actor
            if let track, Diagnosis.kind(for: track, policy: policy) == nil, Diagnosis.hasRecovered(issue.kind, reason: issue.reason, track: track, policy: policy) {
                issue.record(IssueTransition(from: issue.state, to: .resolved, actor: actor, at: now, note: note ?? "fixed; checks already confirm"))
                issue.state = .resolved
                issue.resolvedAt = now
            } else {
                issue.record(IssueTransition(from: issue.state, to: issue.state, actor: actor, at: now,
                                             note: (note.map { $0 + " — " } ?? "") + "fix reported; resolves when the checks confirm"))
            }
        case .note:
            guard let note, !note.isEmpty else { throw ContractError(code: "bad_request", field: "note", message: "note is empty") }
            issue.record(IssueTransition(from: issue.state, to: issue.state, actor: actor.isEmpty ? "unknown" : actor, at: now, note: note))
        case .silence, .unsilence, .endSilence, .listSilences:
            break // not a step on one incident: refused above
        }
        return issue
    }

    static func require(_ issue: IssueRecord, in states: [IssueState], for target: IssueState) throws(ContractError) {
        guard states.contains(issue.state) else { throw illegal(issue.state, target.rawValue) }
    }

    static func illegal(_ from: IssueState, _ to: String) -> ContractError {
        ContractError(code: "illegal_transition", field: "action", message: "an incident in state \(from.rawValue) cannot go to \(to)")
    }
}

/// Which maintenance windows (silences) cover a camera.
package enum SilenceMatcher {
    /// Whether any window in `silences` is in force for the camera at `now` (see ``MaintenanceSchedule``).
    package static func isSilenced(cameraID: String, info: CameraInfo?, silences: [Silence], now: Date) -> Bool {
        silences.contains { covers($0, cameraID: cameraID, info: info) && MaintenanceSchedule.window(of: $0, containing: now) != nil }
    }

    /// Whether `silence` is about this camera (whenever it is in force).
    package static func covers(_ silence: Silence, cameraID: String, info: CameraInfo?) -> Bool {
        MaintenanceSchedule.covers(silence, cameraID: cameraID, site: info?.site, tags: info?.tags, lineTeam: info?.lineTeam, vendor: info?.vendor)
    }
}
