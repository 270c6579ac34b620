import CCTVContract
import Foundation

/// Everything the issues service remembers about one camera between results.
public struct CameraTrack: Codable, Sendable, Equatable {
    public var cameraID: String
    public var lastICMP: ICMPStatus?
    public var lastICMPLoss: Double?
    public var lastICMPReason: String?
    public var lastICMPAt: Date?
    public var lastHLS: HLSStatus?
    public var lastHLSReason: String?
    public var lastHLSAt: Date?
    /// Consecutive ICMP results that were TIMEOUT or FAIL.
    public var icmpDownStreak = 0
    /// Consecutive ICMP results with loss at or above the threshold.
    public var icmpLossStreak = 0
    /// Consecutive ICMP results that were not down (SUCCESS or LOSS).
    public var icmpUpStreak = 0
    /// Consecutive ICMP results that were fine (SUCCESS, or LOSS below the threshold).
    public var icmpGoodStreak = 0
    /// Consecutive HLS results that were FAIL or ERROR while the line was up (a stream cannot be
    /// judged while its line is down, so a line outage restarts this count).
    public var hlsFailStreak = 0
    /// Consecutive HLS SUCCESS results.
    public var hlsOkStreak = 0
    // RTSP and picture results (optional: tracks stored before they existed decode without them).
    public var lastRTSP: HLSStatus?
    public var lastRTSPReason: String?
    public var lastRTSPAt: Date?
    /// Consecutive RTSP results that were FAIL or ERROR / SUCCESS.
    public var rtspFailStreak: Int?
    public var rtspOkStreak: Int?
    public var lastPicture: PictureStatus?
    public var lastPictureReason: String?
    public var lastPictureAt: Date?
    /// Consecutive picture checks that were BLACK or FROZEN / OK (ERROR counts as neither).
    public var pictureFaultStreak: Int?
    public var pictureOkStreak: Int?
    /// The incident open for this camera, if any.
    public var openIssue: IssueRecord?
    /// The last published status, to publish only changes.
    public var published: CameraHealth?
    /// Recent event ids, to drop redelivered results.
    public var recentEventIDs: [String] = []
    /// When incidents were opened recently, to detect flapping.
    public var recentOpenings: [Date] = []
    /// Why the latest result could not be judged (the monitor's own network was down), if so.
    public var inconclusive: String?

    public init(cameraID: String) { self.cameraID = cameraID }
}

/// Descriptive data about a camera from its retained definition, copied into incidents.
public struct CameraInfo: Codable, Sendable, Equatable {
    public var name: String?
    public var address: String?
    public var site: String?
    public var lineTeam: String?
    public var vendor: String?
    public var tags: [String]?
    /// `scheme://host:port` of the camera's HLS URL (``StreamServer/origin(of:)``), if it has one.
    public var streamServer: String?
    /// Whether the prober checks it (`nil`, from before this was kept, counts as enabled).
    public var enabled: Bool?

    public init(name: String? = nil, address: String? = nil, site: String? = nil, lineTeam: String? = nil, vendor: String? = nil,
                tags: [String]? = nil, streamServer: String? = nil, enabled: Bool? = nil) {
        self.name = name; self.address = address; self.site = site; self.lineTeam = lineTeam; self.vendor = vendor; self.tags = tags
        self.streamServer = streamServer
        self.enabled = enabled
    }

    public init(_ camera: CameraDefinition) {
        self.init(name: camera.name, address: camera.address, site: camera.site, lineTeam: camera.lineTeam, vendor: camera.vendor, tags: camera.tags,
                  streamServer: StreamServer.origin(of: camera.hlsURL), enabled: camera.enabled)
    }
}
