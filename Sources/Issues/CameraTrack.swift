import CCTVContract
import Foundation

/// Everything the issues service remembers about one camera between results.
package struct CameraTrack: Codable, Sendable, Equatable {
    package var cameraID: String
    package var lastICMP: ICMPStatus?
    package var lastICMPLoss: Double?
    package var lastICMPReason: String?
    package var lastICMPAt: Date?
    package var lastHLS: HLSStatus?
    package var lastHLSReason: String?
    package var lastHLSAt: Date?
    /// Consecutive ICMP results that were TIMEOUT or FAIL.
    package var icmpDownStreak = 0
    /// Consecutive ICMP results with loss at or above the threshold.
    package var icmpLossStreak = 0
    /// Consecutive ICMP results that were not down (SUCCESS or LOSS).
    package var icmpUpStreak = 0
    /// Consecutive ICMP results that were fine (SUCCESS, or LOSS below the threshold).
    package var icmpGoodStreak = 0
    /// Consecutive HLS results that were FAIL or ERROR while the line was up (a stream cannot be
    /// judged while its line is down, so a line outage restarts this count).
    package var hlsFailStreak = 0
    /// Consecutive HLS SUCCESS results.
    package var hlsOkStreak = 0
    // RTSP and picture results (optional: tracks stored before they existed decode without them).
    package var lastRTSP: HLSStatus?
    package var lastRTSPReason: String?
    package var lastRTSPAt: Date?
    /// Consecutive RTSP results that were FAIL or ERROR / SUCCESS.
    package var rtspFailStreak: Int?
    package var rtspOkStreak: Int?
    package var lastPicture: PictureStatus?
    package var lastPictureReason: String?
    package var lastPictureAt: Date?
    /// Consecutive picture checks that were BLACK or FROZEN / OK (ERROR counts as neither).
    package var pictureFaultStreak: Int?
    package var pictureOkStreak: Int?
    /// The incident open for this camera, if any.
    package var openIssue: IssueRecord?
    /// The last published status, to publish only changes.
    package var published: CameraHealth?
    /// Recent event ids, to drop redelivered results.
    package var recentEventIDs: [String] = []
    /// When incidents were opened recently, to detect flapping.
    package var recentOpenings: [Date] = []
    /// Why the latest result could not be judged (the monitor's own network was down), if so.
    package var inconclusive: String?

    package init(cameraID: String) { self.cameraID = cameraID }

    /// Whether `other` says the same about the camera: equal but for when each check last ran and
    /// the recent event ids (which only tell redeliveries apart). A result that leaves its camera's
    /// track the same as before is not written (see ``ResultIntake``).
    package func isSameState(as other: CameraTrack) -> Bool {
        var other = other
        (other.lastICMPAt, other.lastHLSAt, other.lastRTSPAt, other.lastPictureAt) = (lastICMPAt, lastHLSAt, lastRTSPAt, lastPictureAt)
        other.recentEventIDs = recentEventIDs
        return other == self
    }
}

/// Descriptive data about a camera from its retained definition, copied into incidents.
package struct CameraInfo: Codable, Sendable, Equatable {
    package var name: String?
    package var address: String?
    package var site: String?
    package var lineTeam: String?
    package var vendor: String?
    package var tags: [String]?
    /// `scheme://host:port` of the camera's HLS URL (``StreamServer/origin(of:)``), if it has one.
    package var streamServer: String?
    /// Whether the prober checks it (`nil`, from before this was kept, counts as enabled).
    package var enabled: Bool?

    package init(name: String? = nil, address: String? = nil, site: String? = nil, lineTeam: String? = nil, vendor: String? = nil,
                tags: [String]? = nil, streamServer: String? = nil, enabled: Bool? = nil) {
        self.name = name; self.address = address; self.site = site; self.lineTeam = lineTeam; self.vendor = vendor; self.tags = tags
        self.streamServer = streamServer
        self.enabled = enabled
    }

    package init(_ camera: CameraDefinition) {
        self.init(name: camera.name, address: camera.address, site: camera.site, lineTeam: camera.lineTeam, vendor: camera.vendor, tags: camera.tags,
                  streamServer: StreamServer.origin(of: camera.hlsURL), enabled: camera.enabled)
    }
}
