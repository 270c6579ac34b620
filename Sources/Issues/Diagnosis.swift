import CCTVContract

/// The diagnosis table: which party a camera's current results point at.
///
/// | checks see                         | kind            |
/// |------------------------------------|-----------------|
/// | ICMP TIMEOUT / FAIL                | LINE            |
/// | ICMP LOSS ≥ threshold              | LINE_DEGRADED   |
/// | ICMP fine, HLS or RTSP FAIL / ERROR | CAMERA         |
/// | ICMP and streams fine, picture BLACK / FROZEN | PICTURE |
/// | both failing                       | LINE only       |
public enum Diagnosis {
    /// Picture checks run every 15 min by default: two in a row (30 min) open a PICTURE incident
    /// rather than the result-count policy meant for checks every few seconds.
    public static let pictureOpenAfter = 2

    /// The kind the streaks justify opening (or switching to), or `nil` when none reaches `openAfter`.
    public static func kind(for track: CameraTrack, policy: IssuePolicy) -> IssueKind? {
        if track.icmpDownStreak >= policy.openAfter { return .line }
        if track.icmpLossStreak >= policy.openAfter { return .lineDegraded }
        // A camera cannot be judged while its line is down: CAMERA needs the line up.
        let lineDown = track.lastICMP == .timeout || track.lastICMP == .fail
        let streamFailing = track.hlsFailStreak >= policy.openAfter || (track.rtspFailStreak ?? 0) >= policy.openAfter
        if streamFailing && !lineDown { return .camera }
        // A picture is judged only while the line and every stream work.
        let streamsFine = track.lastHLS != .fail && track.lastHLS != .error && track.lastRTSP != .fail && track.lastRTSP != .error
        if (track.pictureFaultStreak ?? 0) >= pictureOpenAfter && !lineDown && streamsFine { return .picture }
        return nil
    }

    /// Whether an open incident of `kind` has seen enough good checks to resolve.
    /// A flapping camera (`holding`) needs `flapHoldFactor` times as many good checks.
    public static func hasRecovered(_ kind: IssueKind, track: CameraTrack, policy: IssuePolicy, holding: Bool = false) -> Bool {
        let needed = policy.recoverAfter * (holding ? policy.flapHoldFactor : 1)
        return switch kind {
        case .line: track.icmpUpStreak >= needed
        case .lineDegraded: track.icmpGoodStreak >= needed
        case .camera: (track.lastHLS == nil || track.hlsOkStreak >= needed) && (track.lastRTSP == nil || (track.rtspOkStreak ?? 0) >= needed)
        case .picture: (track.pictureOkStreak ?? 0) >= 1
        }
    }

    /// The camera's state from its latest results (not from streaks: the dashboard shows now).
    public static func state(of track: CameraTrack, policy: IssuePolicy) -> CameraState {
        switch track.lastICMP {
        case .timeout?, .fail?: return .lineDown
        case .loss? where (track.lastICMPLoss ?? 0) >= policy.lossThreshold: return .degraded
        default: break
        }
        if track.lastHLS == .fail || track.lastHLS == .error || track.lastRTSP == .fail || track.lastRTSP == .error { return .cameraDown }
        if track.lastPicture == .black || track.lastPicture == .frozen { return .pictureFault }
        if track.lastICMP == nil && track.lastHLS == nil { return .unknown }
        return .ok
    }
}
