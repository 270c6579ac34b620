import CCTVContract

/// The diagnosis table: which party a camera's current results point at.
///
/// | checks see                                        | kind            |
/// |---------------------------------------------------|-----------------|
/// | ICMP FAIL `resolve_failed` (name does not resolve) | CONFIGURATION  |
/// | ICMP TIMEOUT / FAIL                               | LINE            |
/// | ICMP LOSS ≥ threshold                             | LINE_DEGRADED   |
/// | ICMP fine, HLS ERROR `dns`                        | CONFIGURATION   |
/// | ICMP fine, HLS FAIL / ERROR                       | CAMERA          |
/// | both failing                                      | LINE only       |
public enum Diagnosis {
    /// ICMP reason of an address that does not resolve (the prober's `resolve_failed`).
    public static let icmpUnresolved = "resolve_failed"
    /// HLS reason of a stream host that does not resolve.
    public static let hlsUnresolved = "dns"

    /// The kind the streaks justify opening (or switching to), or `nil` when none reaches `openAfter`.
    public static func kind(for track: CameraTrack, policy: IssuePolicy) -> IssueKind? {
        if track.icmpDownStreak >= policy.openAfter {
            // A name that does not resolve is not the line team's fault: the address is wrong.
            return track.lastICMPReason == icmpUnresolved ? .configuration : .line
        }
        if track.icmpLossStreak >= policy.openAfter { return .lineDegraded }
        // A camera cannot be judged while its line is down: CAMERA needs the line up.
        if track.hlsFailStreak >= policy.openAfter && !isLineDown(track) {
            return track.lastHLSReason == hlsUnresolved ? .configuration : .camera
        }
        return nil
    }

    /// Whether the latest ICMP result says the line is down.
    public static func isLineDown(_ track: CameraTrack) -> Bool {
        track.lastICMP == .timeout || track.lastICMP == .fail
    }

    /// Whether the latest HLS result failed (whatever the line does).
    public static func isStreamFailing(_ track: CameraTrack) -> Bool {
        track.lastHLS == .fail || track.lastHLS == .error
    }

    /// Whether an open incident of `kind` (opened for `reason`) has seen enough good checks to
    /// resolve. A flapping camera (`holding`) needs `flapHoldFactor` times as many good checks.
    public static func hasRecovered(_ kind: IssueKind, reason: String? = nil, track: CameraTrack, policy: IssuePolicy, holding: Bool = false) -> Bool {
        let needed = policy.recoveryChecks(flapping: holding)
        return switch kind {
        case .line: track.icmpUpStreak >= needed
        case .lineDegraded: track.icmpGoodStreak >= needed
        case .camera: track.hlsOkStreak >= needed
        case .configuration: reason == hlsUnresolved ? track.hlsOkStreak >= needed : track.icmpUpStreak >= needed
        // Group and monitor incidents resolve by their own rules, never from one camera's checks.
        case .streamServer, .monitor: false
        }
    }

    /// The camera's state from its latest results (not from streaks: the dashboard shows now).
    public static func state(of track: CameraTrack, policy: IssuePolicy) -> CameraState {
        switch track.lastICMP {
        case .timeout?, .fail?: return .lineDown
        case .loss? where (track.lastICMPLoss ?? 0) >= policy.lossThreshold: return .degraded
        default: break
        }
        if isStreamFailing(track) { return .cameraDown }
        if track.lastICMP == nil && track.lastHLS == nil { return .unknown }
        return .ok
    }
}
