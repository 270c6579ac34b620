/// Stable, machine-readable reason codes produced by the HLS checks.
///
/// The raw values are snake_case strings that the CCTV Out server stores, alerts on
/// and shows in its API, so they must never change once shipped. Add new cases rather
/// than renaming existing ones.
public enum HLSReason: String, Sendable, Hashable, CaseIterable, Codable {
    // MARK: Playlist parsing

    /// The playlist body was empty or contained only whitespace.
    case playlistEmpty = "playlist_empty"
    /// The first non-blank line is not `#EXTM3U`, so this is not an HLS playlist
    /// (commonly an HTML error page or a JSON error from the camera).
    case playlistNotM3U8 = "playlist_not_m3u8"
    /// The playlist starts correctly but violates RFC 8216 in a way a client cannot recover from.
    case playlistMalformed = "playlist_malformed"
    /// The playlist exceeded the byte or line limit the caller allowed.
    case playlistTooLarge = "playlist_too_large"
    /// The playlist lists more segments or variants than the caller allowed.
    case playlistTooManySegments = "playlist_too_many_segments"

    // MARK: Live behaviour

    /// The media playlist has not changed for longer than the staleness threshold.
    case playlistStale = "playlist_stale"
    /// The media sequence number decreased without a discontinuity-sequence increase.
    case mediaSequenceBackwards = "media_sequence_backwards"
    /// A stream expected to be live carries `#EXT-X-ENDLIST` or `PLAYLIST-TYPE:VOD`.
    case endlistOnLive = "endlist_on_live"
    /// The media playlist lists no segments at all.
    case noSegments = "no_segments"

    // MARK: Segment content

    /// The segment body had zero bytes.
    case segmentEmpty = "segment_empty"
    /// The segment is neither valid MPEG-TS nor ISO BMFF (garbage, HTML error page, truncated header).
    case segmentCorrupt = "segment_corrupt"
    /// The segment is well-formed but carries no video elementary stream.
    case noVideo = "no_video"
    /// No key frame was found in the inspected bytes; reported as a warning only.
    case noKeyframe = "no_keyframe"
}

/// How serious a finding is, so callers can map findings onto OK / WARN / FAIL states.
public enum HLSSeverity: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    /// Worth surfacing, but the stream is still usable.
    case warning
    /// The stream is not usable for monitoring.
    case failure

    /// Orders warnings before failures so `max()` yields the worst severity.
    public static func < (lhs: HLSSeverity, rhs: HLSSeverity) -> Bool {
        lhs == .warning && rhs == .failure
    }
}

/// One problem detected by a check: a stable reason code plus a human explanation.
public struct HLSFinding: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Stable machine-readable reason.
    public var reason: HLSReason
    /// Whether this finding should fail the check or only warn.
    public var severity: HLSSeverity
    /// Human-readable explanation, suitable for logs and the UI.
    public var message: String

    /// Creates a finding.
    public init(reason: HLSReason, severity: HLSSeverity, message: String) {
        self.reason = reason
        self.severity = severity
        self.message = message
    }

    /// `reason: message`, handy for logs.
    public var description: String { "\(reason.rawValue): \(message)" }
}
