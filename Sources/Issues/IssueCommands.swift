import CCTVContract
import Foundation

/// People's commands (acknowledge, dispatch, fix, close, note; silences) applied in one store
/// transaction. Acknowledging or dispatching a group incident (site, stream server) does the same
/// to its cameras' incidents, so nobody has to acknowledge a hundred cameras one by one.
struct IssueCommands: Sendable {
    let recorder: IncidentRecorder
    var policy: IssuePolicy { recorder.policy }

    /// Executes `command`; returns the reply and the effects recorded.
    func execute(_ command: IssueCommand, tx: IssueStore.Transaction, now: Date) throws -> (IssueReply, [IncidentStateMachine.Effect]) {
        var tracks = IncidentRecorder.Tracks()
        switch command.action {
        case var .silence(silence):
            // A new window, or an edit of the one with this id.
            try MaintenanceSchedule.validate(silence, now: now)
            silence.createdBy = command.actor ?? silence.createdBy
            try tx.saveSilence(silence)
            let effects = try resilence(tx: tx, tracks: &tracks, now: now) + recorder.finish(tx, tracks: &tracks)
            return (IssueReply(ok: true, silences: try tx.silences()), effects)
        case let .unsilence(id):
            var effects: [IncidentStateMachine.Effect] = []
            if let id {
                try tx.removeSilence(id)
                effects = try resilence(tx: tx, tracks: &tracks, now: now) + recorder.finish(tx, tracks: &tracks)
            }
            return (IssueReply(ok: true, silences: try tx.silences()), effects)
        case let .endSilence(id):
            guard let silence = try tx.silences().first(where: { $0.id == id }) else {
                throw ContractError(code: "not_found", field: "silence.id", message: "no maintenance window with id \(id)")
            }
            let ended = MaintenanceSchedule.endedEarly(silence, at: now)
            if MaintenanceSchedule.isOver(ended, at: now) { try tx.removeSilence(id) } else { try tx.saveSilence(ended) }
            let effects = try resilence(tx: tx, tracks: &tracks, now: now) + recorder.finish(tx, tracks: &tracks)
            return (IssueReply(ok: true, silences: try tx.silences()), effects)
        case .listSilences:
            return (IssueReply(ok: true, silences: try tx.silences()), [])
        case let .acknowledge(id, note), let .dispatch(id, note), let .markFixed(id, note), let .close(id, note), let .note(id, note):
            guard let issue = try tx.issue(id) else {
                throw ContractError(code: "not_found", field: "issueID", message: "no incident with id \(id)")
            }
            let changed = try lifecycle(command, issue: issue, tx: tx, tracks: &tracks, now: now)
            var effects = [changed.effect]
            if issue.isGroup && [.acknowledge, .dispatch].contains(command.action.name) {
                for child in try tx.activeChildren(of: issue.id) {
                    // A camera already further along (dispatched before the site was acknowledged) keeps its state.
                    guard let step = IssueCommand.Action.step(command.action.name, issueID: child.id, note: note ?? "with its group incident \(issue.id)"),
                          let done = try? lifecycle(IssueCommand(step, actor: command.actor), issue: child, tx: tx, tracks: &tracks, now: now) else { continue }
                    effects.append(done.effect)
                }
            }
            let recorded = try recorder.record(effects, tx: tx, tracks: &tracks, tally: FleetTally(), now: now) + recorder.finish(tx, tracks: &tracks)
            return (IssueReply(ok: true, issue: changed.issue), recorded)
        }
    }

    /// One incident through ``IssueLifecycle``; the effect to record.
    func lifecycle(_ command: IssueCommand, issue: IssueRecord, tx: IssueStore.Transaction, tracks: inout IncidentRecorder.Tracks, now: Date) throws
        -> (issue: IssueRecord, effect: IncidentStateMachine.Effect) {
        var track: CameraTrack?
        if !issue.isGroup && !issue.isMonitorIncident { track = try tracks.get(issue.cameraID, tx) }
        let isOpenOne = track?.openIssue?.id == issue.id
        let canonical = isOpenOne ? track!.openIssue! : issue
        let changed = try IssueLifecycle.apply(command, to: canonical, track: isOpenOne ? track : nil, policy: policy, now: now)
        try recorder.updateActive(changed, tx: tx, tracks: &tracks)
        let resolvedNow = changed.state == .resolved && canonical.state != .resolved
        return (changed, resolvedNow ? .resolved(changed) : .updated(changed))
    }

    /// Re-evaluates `silenced` on every active incident after the silences changed; records the updates.
    func resilence(tx: IssueStore.Transaction, tracks: inout IncidentRecorder.Tracks, now: Date) throws -> [IncidentStateMachine.Effect] {
        let silences = try tx.silences()
        let active = try tx.activeIssues()
        let infos = try tx.infos(active.map(\.cameraID))
        var effects: [IncidentStateMachine.Effect] = []
        for var issue in active where !issue.isMonitorIncident {
            let info = infos[issue.cameraID] ?? CameraInfo(site: issue.site) // a site incident: its site's silences
            let silenced = SilenceMatcher.isSilenced(cameraID: issue.cameraID, info: info, silences: silences, now: now)
            guard silenced != issue.silenced else { continue }
            issue.silenced = silenced
            issue.record(IssueTransition(from: issue.state, to: issue.state, actor: "system", at: now,
                                         note: silenced ? "notifications held (maintenance)" : "maintenance over: notifications resume"))
            try recorder.updateActive(issue, tx: tx, tracks: &tracks)
            effects.append(.updated(issue))
        }
        for effect in effects { try recorder.persist(effect, tx: tx) }
        return effects
    }

    /// Removes the maintenance windows that are over by `now` and, when that or a window starting
    /// or ending on its schedule changed which windows are in force since `previouslyInForce`,
    /// re-evaluates the held flags; returns the incidents it changed and the windows now in force.
    func sweepSilences(tx: IssueStore.Transaction, now: Date, previouslyInForce: Set<String>?) throws
        -> (effects: [IncidentStateMachine.Effect], inForce: Set<String>) {
        let all = try tx.silences()
        let expired = all.filter { MaintenanceSchedule.isOver($0, at: now) }
        for silence in expired { try tx.removeSilence(silence.id) }
        let inForce = Set(all.filter { MaintenanceSchedule.window(of: $0, containing: now) != nil }.map(\.id))
        guard inForce != previouslyInForce || !expired.isEmpty else { return ([], inForce) }
        var tracks = IncidentRecorder.Tracks()
        return (try resilence(tx: tx, tracks: &tracks, now: now) + recorder.finish(tx, tracks: &tracks), inForce)
    }
}
