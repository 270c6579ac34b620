import CCTVContract
import Foundation

/// The incident logic as a pure function: `(track, observation) -> (track, effects)`.
/// No I/O, no clock of its own: everything it needs comes in, everything it decides goes out.
public enum IncidentStateMachine {
    /// One check result arriving.
    public enum Observation: Sendable {
        case icmp(ICMPResult, eventID: String)
        case hls(HLSResult, eventID: String)
        case rtsp(RTSPResult, eventID: String)
        case picture(PictureResult, eventID: String)

        var eventID: String {
            switch self { case let .icmp(_, id), let .hls(_, id), let .rtsp(_, id), let .picture(_, id): id }
        }
    }

    /// What the service must publish (through its outbox) after applying an observation.
    public enum Effect: Sendable, Equatable {
        case opened(IssueRecord)
        case updated(IssueRecord)
        case resolved(IssueRecord)
        case status(CameraHealth)
    }

    /// Applies one result. Duplicates (same event id) and results older than the last one of the
    /// same check are ignored: delivery is at-least-once and may reorder.
    public static func apply(
        _ observation: Observation, to track: CameraTrack, camera: CameraInfo?, policy: IssuePolicy,
        now: Date, silenced: Bool = false, newIssueID: () -> String
    ) -> (CameraTrack, [Effect]) {
        var track = track
        if track.recentEventIDs.contains(observation.eventID) { return (track, []) }
        switch observation {
        case let .icmp(result, _):
            if let last = track.lastICMPAt, result.startedAt <= last { return (track, []) }
            track.lastICMP = result.status
            track.lastICMPLoss = result.lossPercent
            track.lastICMPReason = result.reason
            track.lastICMPAt = result.startedAt
            let down = result.status == .timeout || result.status == .fail
            let lossy = result.status == .loss && result.lossPercent >= policy.lossThreshold
            track.icmpDownStreak = down ? track.icmpDownStreak + 1 : 0
            track.icmpLossStreak = lossy ? track.icmpLossStreak + 1 : 0
            track.icmpUpStreak = down ? 0 : track.icmpUpStreak + 1
            track.icmpGoodStreak = (down || lossy) ? 0 : track.icmpGoodStreak + 1
        case let .hls(result, _):
            if let last = track.lastHLSAt, result.startedAt <= last { return (track, []) }
            track.lastHLS = result.status
            track.lastHLSReason = result.reason
            track.lastHLSAt = result.startedAt
            let failed = result.status != .success
            track.hlsFailStreak = failed ? track.hlsFailStreak + 1 : 0
            track.hlsOkStreak = failed ? 0 : track.hlsOkStreak + 1
        case let .rtsp(result, _):
            if let last = track.lastRTSPAt, result.startedAt <= last { return (track, []) }
            track.lastRTSP = result.status
            track.lastRTSPReason = result.reason
            track.lastRTSPAt = result.startedAt
            let failed = result.status != .success
            track.rtspFailStreak = failed ? (track.rtspFailStreak ?? 0) + 1 : 0
            track.rtspOkStreak = failed ? 0 : (track.rtspOkStreak ?? 0) + 1
        case let .picture(result, _):
            if let last = track.lastPictureAt, result.startedAt <= last { return (track, []) }
            track.lastPictureAt = result.startedAt
            // ERROR means the picture could not be judged: it moves neither streak.
            guard result.status != .error else { break }
            track.lastPicture = result.status
            track.lastPictureReason = result.reason
            let faulty = result.status == .black || result.status == .frozen
            track.pictureFaultStreak = faulty ? (track.pictureFaultStreak ?? 0) + 1 : 0
            track.pictureOkStreak = faulty ? 0 : (track.pictureOkStreak ?? 0) + 1
        }
        track.recentEventIDs.append(observation.eventID)
        if track.recentEventIDs.count > 32 { track.recentEventIDs.removeFirst(track.recentEventIDs.count - 32) }

        var effects: [Effect] = []
        let desired = Diagnosis.kind(for: track, policy: policy)
        if var issue = track.openIssue {
            if let desired, desired != issue.kind {
                // Same incident, new diagnosis: the newly responsible party is told.
                let note = "re-diagnosed \(issue.kind.rawValue) → \(desired.rawValue)"
                issue.kind = desired
                issue.responsible = desired.responsible
                issue.responsibleTeam = team(for: desired, camera: camera)
                issue.reason = reason(for: desired, track: track)
                issue.record(IssueTransition(from: issue.state, to: issue.state, actor: "system", at: now, note: note))
                track.openIssue = issue
                effects.append(.updated(issue))
            } else if desired == nil && Diagnosis.hasRecovered(issue.kind, track: track, policy: policy, holding: issue.flapping) {
                let note = issue.fixReportedBy.map { "fix reported by \($0), confirmed by the checks" } ?? "checks recovered"
                issue.record(IssueTransition(from: issue.state, to: .resolved, actor: "system", at: now, note: note))
                issue.state = .resolved
                issue.resolvedAt = now
                track.openIssue = nil
                effects.append(.resolved(issue))
            }
        } else if let desired {
            track.recentOpenings = (track.recentOpenings + [now]).filter { now.timeIntervalSince($0) <= policy.flapWindow }
            let flapping = track.recentOpenings.count >= policy.flapCount
            var issue = IssueRecord(
                id: newIssueID(), cameraID: track.cameraID, cameraName: camera?.name, address: camera?.address, site: camera?.site,
                kind: desired, state: .open, responsible: desired.responsible, responsibleTeam: team(for: desired, camera: camera),
                reason: reason(for: desired, track: track), openedAt: now, updatedAt: now, version: 0,
                silenced: silenced, flapping: flapping)
            issue.record(IssueTransition(from: nil, to: .open, actor: "system", at: now,
                                         note: flapping ? "flapping: \(track.recentOpenings.count) openings in \(Int(policy.flapWindow / 60)) min, held open until stable" : issue.reason))
            track.openIssue = issue
            effects.append(.opened(issue))
        }

        let state = Diagnosis.state(of: track, policy: policy)
        let reasonText = switch state {
        case .cameraDown: (track.lastHLS == .fail || track.lastHLS == .error) ? track.lastHLSReason : track.lastRTSPReason
        case .pictureFault: track.lastPictureReason
        default: track.lastICMPReason
        }
        let previous = track.published
        if previous?.state != state || previous?.icmp != track.lastICMP || previous?.hls != track.lastHLS
            || previous?.issueID != track.openIssue?.id || previous?.reason != reasonText {
            let since = previous?.state == state ? previous?.since ?? now : now
            let health = CameraHealth(cameraID: track.cameraID, state: state, icmp: track.lastICMP, hls: track.lastHLS,
                                      reason: reasonText, issueID: track.openIssue?.id, since: since, updatedAt: now)
            track.published = health
            effects.append(.status(health))
        }
        return (track, effects)
    }

    /// Closes the open incident of a camera that was deleted from the registry: whoever was told
    /// "down" is told it is over, never left with an orphaned alert.
    public static func cameraRemoved(_ track: CameraTrack, now: Date) -> [Effect] {
        guard var issue = track.openIssue else { return [] }
        issue.record(IssueTransition(from: issue.state, to: .resolved, actor: "system", at: now, note: "camera removed from monitoring"))
        issue.state = .resolved
        issue.reason = "camera_removed"
        issue.resolvedAt = now
        return [.resolved(issue)]
    }

    static func team(for kind: IssueKind, camera: CameraInfo?) -> String? {
        kind.responsible == .cameraVendor ? camera?.vendor : camera?.lineTeam
    }

    static func reason(for kind: IssueKind, track: CameraTrack) -> String {
        switch kind {
        case .line, .lineDegraded: track.lastICMPReason ?? kind.rawValue.lowercased()
        case .camera: (track.hlsFailStreak > 0 ? track.lastHLSReason : track.lastRTSPReason) ?? track.lastHLSReason ?? "stream_failed"
        case .picture: track.lastPictureReason ?? "picture_fault"
        }
    }
}
