/// The container format a segment was recognised as.
public enum SegmentContainer: String, Sendable, Hashable, Codable {
    /// MPEG-2 Transport Stream (`.ts`), the classic HLS segment format.
    case mpegTS = "mpeg_ts"
    /// Fragmented ISO Base Media File Format (`.m4s`/`.mp4`, CMAF).
    case fragmentedMP4 = "fmp4"
    /// Neither of the above; always paired with a `segment_corrupt` or `segment_empty` failure.
    case unknown
}

/// Video coding format of the elementary stream, as far as the container reveals it.
public enum VideoCodec: String, Sendable, Hashable, Codable {
    /// H.264 / AVC.
    case h264
    /// H.265 / HEVC.
    case hevc
    /// MPEG-1 video.
    case mpeg1
    /// MPEG-2 video (H.262).
    case mpeg2
    /// MPEG-4 Part 2 visual.
    case mpeg4Part2 = "mpeg4_part2"
    /// SMPTE VC-1.
    case vc1
    /// AV1.
    case av1
    /// VP9.
    case vp9
    /// A video track whose format this library does not name (for example an encrypted entry).
    case unknown
}

/// What ``SegmentInspector`` learned about one segment.
public struct SegmentReport: Sendable, Hashable {
    /// Detected container.
    public var container: SegmentContainer
    /// Number of bytes inspected (the caller may have truncated the download).
    public var byteCount: Int
    /// Whether a video stream is present; `nil` when the container alone cannot tell
    /// (an fMP4 media segment inspected without its `EXT-X-MAP` initialization section).
    public var hasVideo: Bool?
    /// Video codec, when known.
    public var videoCodec: VideoCodec?
    /// Coded picture size, when cheaply available (H.264/HEVC SPS, MPEG-2 sequence header,
    /// or the fMP4 sample entry).
    public var resolution: Resolution?
    /// Whether a key frame was seen in the inspected bytes; `nil` when undeterminable.
    public var hasKeyframe: Bool?
    /// The failure that makes this segment unusable, if any.
    public var failure: HLSFinding?
    /// Non-fatal observations such as `no_keyframe`.
    public var warnings: [HLSFinding]

    /// Creates a report.
    public init(
        container: SegmentContainer,
        byteCount: Int,
        hasVideo: Bool? = nil,
        videoCodec: VideoCodec? = nil,
        resolution: Resolution? = nil,
        hasKeyframe: Bool? = nil,
        failure: HLSFinding? = nil,
        warnings: [HLSFinding] = []
    ) {
        self.container = container
        self.byteCount = byteCount
        self.hasVideo = hasVideo
        self.videoCodec = videoCodec
        self.resolution = resolution
        self.hasKeyframe = hasKeyframe
        self.failure = failure
        self.warnings = warnings
    }

    /// Picture width in pixels, when known.
    public var width: Int? { resolution?.width }
    /// Picture height in pixels, when known.
    public var height: Int? { resolution?.height }

    /// True when there is no failure (warnings allowed).
    public var isHealthy: Bool { failure == nil }

    /// The failure followed by the warnings.
    public var findings: [HLSFinding] { (failure.map { [$0] } ?? []) + warnings }
}
