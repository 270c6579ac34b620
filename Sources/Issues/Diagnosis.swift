import CCTVContract

/// The diagnosis table: which party a camera's current results point at.
///
/// | checks see                                          | kind            |
/// |-----------------------------------------------------|-----------------|
/// | ICMP FAIL `dns_unresolved` (name does not resolve)  | CONFIGURATION   |
/// | ICMP TIMEOUT / FAIL                                 | LINE            |
/// | ICMP LOSS ≥ threshold                               | LINE_DEGRADED   |
/// | ICMP fine, HLS or RTSP ERROR `dns_unresolved`       | CONFIGURATION   |
/// | ICMP fine, HLS or RTSP FAIL / ERROR                 | CAMERA          |
/// | ICMP and streams fine, picture BLACK / FROZEN       | PICTURE         |
/// | both failing                                        | LINE only       |
package enum Diagnosis {
    /// The prober's reason (ICMP, HLS and RTSP alike) for a host name that does not resolve.
    package static let unresolved = "dns_unresolved"
    /// Picture checks run every 15 min by default: two in a row (30 min) open a PICTURE incident
    /// rather than the result-count policy meant for checks every few seconds.
    package static let pictureOpenAfter = 2

    /// The kind the streaks justify opening (or switching to), or `nil` when none reaches `openAfter`.
    package static func kind(for track: CameraTrack, policy: IssuePolicy) -> IssueKind? {
        if track.icmpDownStreak >= policy.openAfter {
            // A name that does not resolve is not the line team's fault: the address is wrong.
            return track.lastICMPReason == unresolved ? .configuration : .line
        }
        if track.icmpLossStreak >= policy.openAfter { return .lineDegraded }
        // A camera cannot be judged while its line is down: CAMERA needs the line up.
        let lineDown = isLineDown(track)
        if track.hlsFailStreak >= policy.openAfter && !lineDown {
            return track.lastHLSReason == unresolved ? .configuration : .camera
        }
        if (track.rtspFailStreak ?? 0) >= policy.openAfter && !lineDown {
            return track.lastRTSPReason == unresolved ? .configuration : .camera
        }
        // A picture is judged only while the line and every stream work.
        if (track.pictureFaultStreak ?? 0) >= pictureOpenAfter && !lineDown && !isStreamFailing(track) { return .picture }
        return nil
    }

    /// Whether the latest ICMP result says the line is down.
    package static func isLineDown(_ track: CameraTrack) -> Bool {
        track.lastICMP == .timeout || track.lastICMP == .fail
    }

    /// Whether the latest HLS or RTSP result failed (whatever the line does).
    package static func isStreamFailing(_ track: CameraTrack) -> Bool {
        track.lastHLS == .fail || track.lastHLS == .error || track.lastRTSP == .fail || track.lastRTSP == .error
    }

    /// Whether an open incident of `kind` (opened for `reason`) has seen enough good checks to
    /// resolve. A flapping camera (`holding`) needs `flapHoldFactor` times as many good checks.
    package static func hasRecovered(_ kind: IssueKind, reason: String? = nil, track: CameraTrack, policy: IssuePolicy, holding: Bool = false) -> Bool {
        let needed = policy.recoveryChecks(flapping: holding)
        return switch kind {
        case .line: track.icmpUpStreak >= needed
        case .lineDegraded: track.icmpGoodStreak >= needed
        case .camera: (track.lastHLS == nil || track.hlsOkStreak >= needed) && (track.lastRTSP == nil || (track.rtspOkStreak ?? 0) >= needed)
        case .picture: (track.pictureOkStreak ?? 0) >= 1
        // The name resolves again: no check's latest result is unresolved, and the check that
        // recovered has `needed` good results in a row.
        case .configuration:
            ![track.lastICMPReason, track.lastHLSReason, track.lastRTSPReason].contains(unresolved)
                && max(track.icmpUpStreak, track.hlsOkStreak, track.rtspOkStreak ?? 0) >= needed
        // Group and monitor incidents resolve by their own rules, never from one camera's checks.
        case .streamServer, .monitor: false
        }
    }

    /// The camera's state from its latest results (not from streaks: the dashboard shows now).
    package static func state(of track: CameraTrack, policy: IssuePolicy) -> CameraState {
        switch track.lastICMP {
        case .timeout?, .fail?: return .lineDown
        case .loss? where (track.lastICMPLoss ?? 0) >= policy.lossThreshold: return .degraded
        default: break
        }
        if isStreamFailing(track) { return .cameraDown }
        if track.lastPicture == .black || track.lastPicture == .frozen { return .pictureFault }
        if track.lastICMP == nil && track.lastHLS == nil { return .unknown }
        return .ok
    }
}
