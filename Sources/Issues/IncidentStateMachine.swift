import CCTVContract
import Foundation

/// The incident logic as a pure function: `(track, observation) -> (track, effects)`.
/// No I/O, no clock of its own: everything it needs comes in, everything it decides goes out.
package enum IncidentStateMachine {
    /// One check result arriving.
    package enum Observation: Sendable {
        case icmp(ICMPResult, eventID: String)
        case hls(HLSResult, eventID: String)
        case rtsp(RTSPResult, eventID: String)
        case picture(PictureResult, eventID: String)

        var eventID: String {
            switch self { case let .icmp(_, id), let .hls(_, id), let .rtsp(_, id), let .picture(_, id): id }
        }

        /// Why the prober says this result cannot be judged (its own network was down), if so.
        package var inconclusive: String? {
            switch self {
            case let .icmp(result, _): result.inconclusive
            case let .hls(result, _): result.inconclusive
            case .rtsp, .picture: nil
            }
        }

        /// Whether the result shows a failure (line down, lossy or stream broken).
        package func isFailure(lossThreshold: Double) -> Bool {
            switch self {
            case let .icmp(result, _): result.status == .timeout || result.status == .fail || (result.status == .loss && result.lossPercent >= lossThreshold)
            case let .hls(result, _): result.status != .success
            case let .rtsp(result, _): result.status != .success
            case let .picture(result, _): result.status == .black || result.status == .frozen
            }
        }
    }

    /// What the service must publish (through its outbox) after applying an observation.
    package enum Effect: Sendable, Equatable {
        case opened(IssueRecord)
        case updated(IssueRecord)
        case resolved(IssueRecord)
        case status(CameraHealth)
    }

    /// Applies one result. Duplicates (same event id) and results older than the last one of the
    /// same check are ignored: delivery is at-least-once and may reorder. Streaks stop at
    /// ``IssuePolicy/streakCeiling``.
    ///
    /// An inconclusive result (`inconclusive`, or the result's own flag: the monitor's own network
    /// was down) is recorded for the dashboard but judges nothing: it opens, resolves and
    /// re-diagnoses nothing and restarts the streaks of its check.
    package static func apply(
        _ observation: Observation, to track: CameraTrack, camera: CameraInfo?, policy: IssuePolicy,
        now: Date, silenced: Bool = false, inconclusive: String? = nil, newIssueID: () -> String
    ) -> (CameraTrack, [Effect]) {
        var track = track
        if track.recentEventIDs.contains(observation.eventID) { return (track, []) }
        let unjudged = inconclusive ?? observation.inconclusive
        switch observation {
        case let .icmp(result, _):
            if let last = track.lastICMPAt, result.startedAt <= last { return (track, []) }
            track.lastICMP = result.status
            track.lastICMPLoss = result.lossPercent
            track.lastICMPReason = result.reason
            track.lastICMPAt = result.startedAt
            let down = result.status == .timeout || result.status == .fail
            let lossy = result.status == .loss && result.lossPercent >= policy.lossThreshold
            if unjudged != nil {
                (track.icmpDownStreak, track.icmpLossStreak, track.icmpUpStreak, track.icmpGoodStreak) = (0, 0, 0, 0)
            } else {
                track.icmpDownStreak = down ? policy.extended(track.icmpDownStreak) : 0
                track.icmpLossStreak = lossy ? policy.extended(track.icmpLossStreak) : 0
                track.icmpUpStreak = down ? 0 : policy.extended(track.icmpUpStreak)
                track.icmpGoodStreak = (down || lossy) ? 0 : policy.extended(track.icmpGoodStreak)
            }
            // A stream failure seen before the line went down says nothing about the camera:
            // after a line outage the stream's count starts again.
            if down { (track.hlsFailStreak, track.rtspFailStreak) = (0, 0) }
        case let .hls(result, _):
            if let last = track.lastHLSAt, result.startedAt <= last { return (track, []) }
            track.lastHLS = result.status
            track.lastHLSReason = result.reason
            track.lastHLSAt = result.startedAt
            let failed = result.status != .success
            if unjudged != nil {
                (track.hlsFailStreak, track.hlsOkStreak) = (0, 0)
            } else {
                // While the line is down the stream cannot be judged: its failures do not count.
                track.hlsFailStreak = failed && !Diagnosis.isLineDown(track) ? policy.extended(track.hlsFailStreak) : 0
                track.hlsOkStreak = failed ? 0 : policy.extended(track.hlsOkStreak)
            }
        case let .rtsp(result, _):
            if let last = track.lastRTSPAt, result.startedAt <= last { return (track, []) }
            track.lastRTSP = result.status
            track.lastRTSPReason = result.reason
            track.lastRTSPAt = result.startedAt
            let failed = result.status != .success
            if unjudged != nil {
                (track.rtspFailStreak, track.rtspOkStreak) = (0, 0)
            } else {
                track.rtspFailStreak = failed && !Diagnosis.isLineDown(track) ? policy.extended(track.rtspFailStreak ?? 0) : 0
                track.rtspOkStreak = failed ? 0 : policy.extended(track.rtspOkStreak ?? 0)
            }
        case let .picture(result, _):
            if let last = track.lastPictureAt, result.startedAt <= last { return (track, []) }
            track.lastPictureAt = result.startedAt
            // ERROR means the picture could not be judged: it moves neither streak.
            guard result.status != .error, unjudged == nil else { break }
            track.lastPicture = result.status
            track.lastPictureReason = result.reason
            let faulty = result.status == .black || result.status == .frozen
            track.pictureFaultStreak = faulty ? policy.extended(track.pictureFaultStreak ?? 0) : 0
            track.pictureOkStreak = faulty ? 0 : policy.extended(track.pictureOkStreak ?? 0)
        }
        track.inconclusive = unjudged
        track.recentEventIDs.append(observation.eventID)
        // A redelivery is also caught by the time check above (its result is not newer than the
        // last one), so a short window is enough; every id is stored and decoded per result.
        if track.recentEventIDs.count > 8 { track.recentEventIDs.removeFirst(track.recentEventIDs.count - 8) }

        var effects: [Effect] = []
        if unjudged == nil {
            effects += judge(&track, camera: camera, policy: policy, now: now, silenced: silenced, newIssueID: newIssueID)
        }
        if let health = status(&track, policy: policy, now: now) { effects.append(.status(health)) }
        return (track, effects)
    }

    /// Opens, re-diagnoses, updates the cause of, or resolves the camera's incident.
    static func judge(_ track: inout CameraTrack, camera: CameraInfo?, policy: IssuePolicy, now: Date, silenced: Bool,
                      newIssueID: () -> String) -> [Effect] {
        let desired = Diagnosis.kind(for: track, policy: policy)
        if var issue = track.openIssue {
            if let desired, desired != issue.kind {
                // Same incident, new diagnosis: the newly responsible party is told.
                let note = "re-diagnosed \(issue.kind.rawValue) → \(desired.rawValue)"
                issue.previousKind = issue.kind
                issue.kind = desired
                issue.responsible = desired.responsible
                issue.responsibleTeam = team(for: desired, camera: camera)
                issue.reason = reason(for: desired, track: track)
                issue.streamServer = desired == .camera ? camera?.streamServer : nil
                issue.record(IssueTransition(from: issue.state, to: issue.state, actor: "system", at: now, note: note))
                track.openIssue = issue
                return [.updated(issue)]
            }
            if let desired, desired == issue.kind, reason(for: desired, track: track) != issue.reason {
                // The cause moved on (connect_refused → http_404): the incident says the latest one,
                // its history keeps every earlier one.
                let latest = reason(for: desired, track: track)
                issue.record(IssueTransition(from: issue.state, to: issue.state, actor: "system", at: now, note: "cause \(issue.reason) → \(latest)"))
                issue.reason = latest
                track.openIssue = issue
                return [.updated(issue)]
            }
            if desired == nil && Diagnosis.hasRecovered(issue.kind, reason: issue.reason, track: track, policy: policy, holding: issue.flapping) {
                let note = issue.fixReportedBy.map { "fix reported by \($0), confirmed by the checks" } ?? "checks recovered"
                issue.record(IssueTransition(from: issue.state, to: .resolved, actor: "system", at: now, note: note))
                issue.state = .resolved
                issue.resolvedAt = now
                track.openIssue = nil
                return [.resolved(issue)]
            }
            return []
        }
        guard let desired else { return [] }
        track.recentOpenings = (track.recentOpenings + [now]).filter { now.timeIntervalSince($0) <= policy.flapWindow }
        let flapping = track.recentOpenings.count >= policy.flapCount
        let recoveryChecks = policy.recoveryChecks(flapping: flapping)
        // Operators fix configuration faults themselves: nothing to group, nobody else to spare.
        let hold = policy.announceHold > 0 && desired != .configuration ? now.addingTimeInterval(policy.announceHold) : nil
        var issue = IssueRecord(
            id: newIssueID(), cameraID: track.cameraID, cameraName: camera?.name, address: camera?.address, site: camera?.site,
            kind: desired, state: .open, responsible: desired.responsible, responsibleTeam: team(for: desired, camera: camera),
            reason: reason(for: desired, track: track), openedAt: now, updatedAt: now, version: 0,
            silenced: silenced, flapping: flapping, holdUntil: hold, streamServer: desired == .camera ? camera?.streamServer : nil,
            recoveryChecks: flapping ? recoveryChecks : nil)
        let note = flapping
            ? "flapping: \(track.recentOpenings.count) openings in \(Int(policy.flapWindow / 60)) min; resolves only after \(recoveryChecks) good checks in a row (normally \(policy.recoverAfter))"
            : issue.reason
        issue.record(IssueTransition(from: nil, to: .open, actor: "system", at: now, note: note))
        track.openIssue = issue
        return [.opened(issue)]
    }

    /// The camera's status when it changed since the last one published.
    static func status(_ track: inout CameraTrack, policy: IssuePolicy, now: Date) -> CameraHealth? {
        let state = track.inconclusive == nil ? Diagnosis.state(of: track, policy: policy) : .unknown
        let latest: String? = switch state {
        case .cameraDown: (track.lastHLS == .fail || track.lastHLS == .error) ? track.lastHLSReason : track.lastRTSPReason
        case .pictureFault: track.lastPictureReason
        default: track.lastICMPReason
        }
        let reasonText = track.inconclusive ?? latest
        let flapping = track.openIssue?.flapping == true ? true : nil
        let recoveryChecks = flapping == true ? track.openIssue?.recoveryChecks : nil
        let previous = track.published
        guard previous?.state != state || previous?.icmp != track.lastICMP || previous?.hls != track.lastHLS
            || previous?.issueID != track.openIssue?.id || previous?.reason != reasonText || previous?.flapping != flapping
        else { return nil }
        let since = previous?.state == state ? previous?.since ?? now : now
        let health = CameraHealth(cameraID: track.cameraID, state: state, icmp: track.lastICMP, hls: track.lastHLS,
                                  reason: reasonText, issueID: track.openIssue?.id, since: since, updatedAt: now,
                                  flapping: flapping, recoveryChecks: recoveryChecks)
        track.published = health
        return health
    }

    /// Withdraws a camera's incident that was never announced (still in its hold) because the
    /// monitor's own network turned out to be down: it resolves without telling anyone (the
    /// notifier drops held notices of a resolved incident) and the camera's streaks restart.
    package static func withdraw(_ track: CameraTrack, reason: String, policy: IssuePolicy, now: Date) -> (CameraTrack, [Effect]) {
        guard var issue = track.openIssue else { return (track, []) }
        var track = track
        issue.record(IssueTransition(from: issue.state, to: .resolved, actor: "system", at: now,
                                     note: "withdrawn before it was announced: the monitor's own network is down (\(reason)), not the camera's"))
        issue.state = .resolved
        issue.resolvedAt = now
        track.openIssue = nil
        (track.icmpDownStreak, track.icmpLossStreak, track.hlsFailStreak) = (0, 0, 0)
        var effects: [Effect] = [.resolved(issue)]
        if let health = status(&track, policy: policy, now: now) { effects.append(.status(health)) }
        return (track, effects)
    }

    /// Closes the open incident of a camera that was deleted from the registry: whoever was told
    /// "down" is told it is over, never left with an orphaned alert.
    package static func cameraRemoved(_ track: CameraTrack, now: Date) -> [Effect] {
        guard var issue = track.openIssue else { return [] }
        issue.record(IssueTransition(from: issue.state, to: .resolved, actor: "system", at: now, note: "camera removed from monitoring"))
        issue.state = .resolved
        issue.reason = "camera_removed"
        issue.resolvedAt = now
        return [.resolved(issue)]
    }

    static func team(for kind: IssueKind, camera: CameraInfo?) -> String? {
        switch kind.responsible {
        case .cameraVendor: camera?.vendor
        case .lineTeam: camera?.lineTeam
        case .operators: nil
        }
    }

    static func reason(for kind: IssueKind, track: CameraTrack) -> String {
        switch kind {
        case .line, .lineDegraded: track.lastICMPReason ?? kind.rawValue.lowercased()
        case .camera: (track.hlsFailStreak > 0 ? track.lastHLSReason : track.lastRTSPReason) ?? track.lastHLSReason ?? "stream_failed"
        case .picture: track.lastPictureReason ?? "picture_fault"
        case .configuration: Diagnosis.unresolved
        case .streamServer, .monitor: kind.rawValue.lowercased()
        }
    }
}
