import Foundation

/// A camera's derived state, as the issues service judges it.
public enum CameraState: String, Codable, Sendable, CaseIterable {
    /// Both checks fine.
    case ok = "OK"
    /// The line loses packets (ICMP LOSS).
    case degraded = "DEGRADED"
    /// The network line is down (ICMP TIMEOUT/FAIL).
    case lineDown = "LINE_DOWN"
    /// The line is fine but the camera's stream is broken.
    case cameraDown = "CAMERA_DOWN"
    /// Line and stream fine, the picture black or frozen.
    case pictureFault = "PICTURE_FAULT"
    /// Not judged yet.
    case unknown = "UNKNOWN"
}

/// `camera.status`, retained on `cctv/{id}/status`: what a dashboard or another tool shows.
public struct CameraHealth: Codable, Sendable, Equatable {
    public var cameraID: String
    public var state: CameraState
    public var icmp: ICMPStatus?
    public var hls: HLSStatus?
    public var reason: String?
    /// The open issue for this camera, if any.
    public var issueID: String?
    /// Since when the camera is in `state`.
    public var since: Date
    /// When this status last changed.
    public var updatedAt: Date
    /// The camera keeps failing and recovering: its open incident is held open until stable.
    public var flapping: Bool?
    /// Consecutive good checks its open incident needs to resolve, when more than usual (flapping).
    public var recoveryChecks: Int?
    /// When the camera's latest check result arrived ("last checked"). Not in the retained
    /// status (it is published only on change): the gateway fills it from `monitor/checked`.
    public var checkedAt: Date?

    public init(cameraID: String, state: CameraState, icmp: ICMPStatus? = nil, hls: HLSStatus? = nil, reason: String? = nil,
                issueID: String? = nil, since: Date, updatedAt: Date, flapping: Bool? = nil, recoveryChecks: Int? = nil) {
        self.cameraID = cameraID; self.state = state; self.icmp = icmp; self.hls = hls; self.reason = reason
        self.issueID = issueID; self.since = since; self.updatedAt = updatedAt; self.flapping = flapping; self.recoveryChecks = recoveryChecks
    }
}
