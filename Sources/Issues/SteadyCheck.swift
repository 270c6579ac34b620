import CCTVContract
import Foundation

/// What the issues service remembers about a check whose latest result changed nothing on its
/// camera (a healthy camera's ICMP every minute): that result's meaning (``Signature``) and when
/// it ran. The next result of that check with the same meaning changes nothing either (the state
/// machine is a pure function of the track, which did not change), so it is applied from memory:
/// no track read, no JSON, no row written. Only when it runs (`at`) changes, kept here and written
/// with the camera's next real change (the store's copy only tells redeliveries apart).
///
/// Measured with 100,000 cameras (ICMP every 60 s): reading, decoding, encoding and writing every
/// camera's track per result was ~14 % of `serve`'s CPU.
///
/// What is lost on a restart is only those run times: a result delivered out of order (older
/// than a steady result already applied, e.g. from a second prober after a failover) that arrives
/// right after a restart is judged instead of ignored; in order and redelivered results decide
/// the same with or without this memory.
///
/// Kept only for cameras without an open incident (operators' commands change only those, in
/// other transactions) and for judged results (not inconclusive). ICMP and HLS only: RTSP and
/// picture checks run every few minutes at most.
struct SteadyCheck: Sendable, Equatable {
    /// What a result says, as far as the track keeps it.
    enum Signature: Sendable, Equatable {
        case icmp(ICMPStatus, lossPercent: Double, reason: String)
        case hls(HLSStatus, reason: String)

        /// The meaning of `observation`, or `nil` for a check not remembered here.
        init?(_ observation: IncidentStateMachine.Observation) {
            switch observation {
            case let .icmp(result, _): self = .icmp(result.status, lossPercent: result.lossPercent, reason: result.reason)
            case let .hls(result, _): self = .hls(result.status, reason: result.reason)
            case .rtsp, .picture: return nil
            }
        }
    }

    var signature: Signature
    /// When the latest result of the check ran (its `startedAt`).
    var at: Date

    /// A camera's steady checks.
    struct Camera: Sendable, Equatable {
        var icmp: SteadyCheck?
        var hls: SteadyCheck?

        subscript(signature: Signature) -> SteadyCheck? {
            get { if case .icmp = signature { icmp } else { hls } }
            set { if case .icmp = signature { icmp = newValue } else { hls = newValue } }
        }

        /// `track` with each check's run time from here when it is newer than the stored one.
        func freshen(_ track: CameraTrack) -> CameraTrack {
            var track = track
            if let icmp, icmp.at > track.lastICMPAt ?? .distantPast { track.lastICMPAt = icmp.at }
            if let hls, hls.at > track.lastHLSAt ?? .distantPast { track.lastHLSAt = hls.at }
            return track
        }
    }

    /// Whether `next`, the track after `observation` was applied to `track` with no effects, is
    /// steady for that check: the result was taken (not a redelivery or an older one), judged,
    /// changed nothing, and the camera has no open incident.
    static func isSteady(_ observation: IncidentStateMachine.Observation, before track: CameraTrack, after next: CameraTrack, effects: [IncidentStateMachine.Effect],
                         unjudged: String?) -> Bool {
        guard effects.isEmpty, unjudged == nil, next.openIssue == nil, next.isSameState(as: track) else { return false }
        return switch observation {
        case .icmp: next.lastICMPAt != track.lastICMPAt
        case .hls: next.lastHLSAt != track.lastHLSAt
        case .rtsp, .picture: false
        }
    }
}

extension IncidentStateMachine.Observation {
    /// When the check ran.
    var startedAt: Date {
        switch self {
        case let .icmp(result, _): result.startedAt
        case let .hls(result, _): result.startedAt
        case let .rtsp(result, _): result.startedAt
        case let .picture(result, _): result.startedAt
        }
    }
}
