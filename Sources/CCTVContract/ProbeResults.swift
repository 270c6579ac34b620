import Foundation

/// The seed's ICMP vocabulary.
public enum ICMPStatus: String, Codable, Sendable, CaseIterable {
    /// Every echo answered.
    case success = "SUCCESS"
    /// Some echoes lost.
    case loss = "LOSS"
    /// No echo answered.
    case timeout = "TIMEOUT"
    /// Could not probe at all (unreachable reply, no route, name not resolved, socket error).
    case fail = "FAIL"
}

/// The seed's HLS vocabulary.
public enum HLSStatus: String, Codable, Sendable, CaseIterable {
    /// Playlist advancing and a real media segment fetched.
    case success = "SUCCESS"
    /// The server answers but the stream is broken (HTTP error, malformed, stalled, corrupt).
    case fail = "FAIL"
    /// The stream cannot be reached (refused, timeout, DNS, TLS).
    case error = "ERROR"
}

/// One ICMP check of one camera (`probe.icmp` on `cctv/{id}/icmp`).
public struct ICMPResult: Codable, Sendable, Equatable {
    public var cameraID: String
    public var address: String
    public var status: ICMPStatus
    /// Machine-readable cause, e.g. `ok`, `partial_loss`, `no_reply`, `host_unreachable`,
    /// `send_refused`, `dns_unresolved`.
    public var reason: String
    /// Echoes attempted, including those the local host refused to send.
    public var sent: Int
    public var received: Int
    /// Echoes the local host refused to send (a local firewall); each counts as lost. Absent = 0.
    public var refused: Int?
    public var lossPercent: Double
    public var rttMinMs: Double?
    public var rttAvgMs: Double?
    public var rttMaxMs: Double?
    public var replyFrom: String?
    public var startedAt: Date
    public var durationMs: Double
    /// Which prober instance ran the check.
    public var prober: String
    /// Set when the prober's own network was down during the check (its reference addresses did
    /// not answer): why, e.g. `reference_unreachable`. Such a result says nothing about the camera.
    public var inconclusive: String?

    public init(cameraID: String, address: String, status: ICMPStatus, reason: String, sent: Int, received: Int,
                refused: Int? = nil, lossPercent: Double, rttMinMs: Double? = nil, rttAvgMs: Double? = nil, rttMaxMs: Double? = nil,
                replyFrom: String? = nil, startedAt: Date, durationMs: Double, prober: String, inconclusive: String? = nil) {
        self.cameraID = cameraID; self.address = address; self.status = status; self.reason = reason
        self.sent = sent; self.received = received; self.refused = refused; self.lossPercent = lossPercent
        self.rttMinMs = rttMinMs; self.rttAvgMs = rttAvgMs; self.rttMaxMs = rttMaxMs
        self.replyFrom = replyFrom; self.startedAt = startedAt; self.durationMs = durationMs; self.prober = prober
        self.inconclusive = inconclusive
    }
}

/// One HLS check of one camera (`probe.hls` on `cctv/{id}/hls`).
public struct HLSResult: Codable, Sendable, Equatable {
    public var cameraID: String
    public var url: String
    public var status: HLSStatus
    /// Machine-readable cause, e.g. `ok`, `playlist_stale`, `http_404`, `segment_corrupt`, `connect_refused`.
    public var reason: String
    public var detail: String?
    public var httpStatus: Int?
    public var playlistLatencyMs: Double?
    public var segmentAgeSeconds: Double?
    public var bitrateKbps: Double?
    public var codec: String?
    public var width: Int?
    public var height: Int?
    /// Body bytes the check fetched (playlists, init section, the newest segment's first part).
    public var bytes: Int?
    public var startedAt: Date
    public var durationMs: Double
    public var prober: String
    /// As ``ICMPResult/inconclusive``: the prober's own network was down during the check.
    public var inconclusive: String?

    public init(cameraID: String, url: String, status: HLSStatus, reason: String, detail: String? = nil,
                httpStatus: Int? = nil, playlistLatencyMs: Double? = nil, segmentAgeSeconds: Double? = nil,
                bitrateKbps: Double? = nil, codec: String? = nil, width: Int? = nil, height: Int? = nil, bytes: Int? = nil,
                startedAt: Date, durationMs: Double, prober: String, inconclusive: String? = nil) {
        self.bytes = bytes
        self.cameraID = cameraID; self.url = url; self.status = status; self.reason = reason; self.detail = detail
        self.httpStatus = httpStatus; self.playlistLatencyMs = playlistLatencyMs; self.segmentAgeSeconds = segmentAgeSeconds
        self.bitrateKbps = bitrateKbps; self.codec = codec; self.width = width; self.height = height
        self.startedAt = startedAt; self.durationMs = durationMs; self.prober = prober
        self.inconclusive = inconclusive
    }
}

/// One RTSP check of one camera (`probe.rtsp` on `cctv/{id}/rtsp`), in the seed's stream
/// vocabulary: SUCCESS, FAIL (the camera answered, the stream is unusable), ERROR (unreachable).
public struct RTSPResult: Codable, Sendable, Equatable {
    public var cameraID: String
    /// The RTSP URL without credentials.
    public var url: String
    public var status: HLSStatus
    /// `ok`, `rtsp_auth_rejected`, `rtsp_not_found`, `rtsp_no_video`, `rtsp_no_packets`,
    /// `rtsp_timeout`, `rtsp_refused`, `rtsp_error`, `rtsp_protocol`, `dns_unresolved`, `bad_url`.
    public var reason: String
    public var detail: String?
    /// Status code of the last RTSP response.
    public var rtspStatus: Int?
    /// Video codec offered in the SDP (`H264`, `H265`, `JPEG`, …).
    public var codec: String?
    /// Video RTP packets counted after PLAY (absent when packets were not counted).
    public var packets: Int?
    /// Connect to the DESCRIBE answer.
    public var describeMs: Double?
    public var startedAt: Date
    public var durationMs: Double
    public var prober: String

    public init(cameraID: String, url: String, status: HLSStatus, reason: String, detail: String? = nil, rtspStatus: Int? = nil,
                codec: String? = nil, packets: Int? = nil, describeMs: Double? = nil, startedAt: Date, durationMs: Double, prober: String) {
        self.cameraID = cameraID; self.url = url; self.status = status; self.reason = reason; self.detail = detail
        self.rtspStatus = rtspStatus; self.codec = codec; self.packets = packets; self.describeMs = describeMs
        self.startedAt = startedAt; self.durationMs = durationMs; self.prober = prober
    }
}

/// What a camera's picture shows.
public enum PictureStatus: String, Codable, Sendable, CaseIterable {
    /// A picture that changes.
    case ok = "OK"
    /// Black (lens covered, sensor dead, no video input) for most of the sample.
    case black = "BLACK"
    /// Unchanging (encoder stuck on one frame, camera turned to a wall) once the crop removes overlays.
    case frozen = "FROZEN"
    /// The picture could not be judged (no stream to decode, decoder missing, timeout).
    case error = "ERROR"
}

/// One picture check of one camera (`probe.picture` on `cctv/{id}/picture`).
public struct PictureResult: Codable, Sendable, Equatable {
    public var cameraID: String
    public var status: PictureStatus
    /// `ok`, `picture_black`, `picture_frozen`, `picture_undecodable`, `picture_timeout`,
    /// `picture_credentials_unsupported`, `ffmpeg_missing`.
    public var reason: String
    public var detail: String?
    /// Seconds of the sample that were black / frozen.
    public var blackSeconds: Double?
    public var frozenSeconds: Double?
    /// Seconds of video decoded.
    public var sampledSeconds: Double?
    /// Where the snapshot taken with this check is served (relative to the gateway), if one was taken.
    public var snapshot: String?
    public var startedAt: Date
    public var durationMs: Double
    public var prober: String

    public init(cameraID: String, status: PictureStatus, reason: String, detail: String? = nil, blackSeconds: Double? = nil,
                frozenSeconds: Double? = nil, sampledSeconds: Double? = nil, snapshot: String? = nil, startedAt: Date, durationMs: Double, prober: String) {
        self.cameraID = cameraID; self.status = status; self.reason = reason; self.detail = detail
        self.blackSeconds = blackSeconds; self.frozenSeconds = frozenSeconds; self.sampledSeconds = sampledSeconds
        self.snapshot = snapshot; self.startedAt = startedAt; self.durationMs = durationMs; self.prober = prober
    }
}

/// One ONVIF check of one camera (`probe.onvif` on `cctv/{id}/onvif`): the camera's clock
/// (`GetSystemDateAndTime`, no credentials) and what it is (`GetDeviceInformation`, signed with
/// WS-UsernameToken on the camera's own clock). In the stream vocabulary: SUCCESS (answered),
/// FAIL (answered, but refused or nonsense), ERROR (unreachable).
public struct ONVIFResult: Codable, Sendable, Equatable {
    public var cameraID: String
    /// The device service URL (no credentials).
    public var url: String
    public var status: HLSStatus
    /// `ok`, `clock_skew` (answered, clock off by more than the limit), `onvif_auth_rejected`,
    /// `onvif_auth_insecure`, `onvif_fault`, `onvif_malformed`, `onvif_http_error`, `onvif_refused`,
    /// `onvif_timeout`, `dns_unresolved`, `blocked_address`, `bad_url`.
    public var reason: String
    public var detail: String?
    public var httpStatus: Int?
    /// The camera's clock minus the prober's (seconds; positive = camera ahead), measured at the
    /// midpoint of the `GetSystemDateAndTime` round trip. Absent when the camera did not say.
    public var clockSkewSeconds: Double?
    /// The limit the skew was judged against (`prober.onvif-clock-skew`).
    public var clockSkewLimitSeconds: Double?
    /// Whether `|clockSkewSeconds|` exceeds the limit: recorded timestamps are off.
    public var clockSkewed: Bool?
    /// `GetDeviceInformation`; absent when it could not be read (no credentials, refused).
    public var device: CameraDevice?
    public var startedAt: Date
    public var durationMs: Double
    public var prober: String

    public init(cameraID: String, url: String, status: HLSStatus, reason: String, detail: String? = nil, httpStatus: Int? = nil,
                clockSkewSeconds: Double? = nil, clockSkewLimitSeconds: Double? = nil, clockSkewed: Bool? = nil, device: CameraDevice? = nil,
                startedAt: Date, durationMs: Double, prober: String) {
        self.cameraID = cameraID; self.url = url; self.status = status; self.reason = reason; self.detail = detail
        self.httpStatus = httpStatus; self.clockSkewSeconds = clockSkewSeconds; self.clockSkewLimitSeconds = clockSkewLimitSeconds
        self.clockSkewed = clockSkewed; self.device = device
        self.startedAt = startedAt; self.durationMs = durationMs; self.prober = prober
    }
}

/// One camera event from an ONVIF PullPoint subscription (`probe.onvif_event` on
/// `cctv/{id}/onvif-event`), for cameras with `checks.onvifEvents`: the video signal lost or back
/// (`tns1:VideoSource/SignalLoss`), the camera tampered with or not any more
/// (`tns1:RuleEngine/TamperDetector/Tamper`, `tns1:VideoSource/GlobalSceneChange/…`). Other topics
/// are not published.
public struct ONVIFEventResult: Codable, Sendable, Equatable {
    /// What the event is about.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case signalLoss = "SIGNAL_LOSS"
        case tamper = "TAMPER"
    }

    public var cameraID: String
    public var kind: Kind
    /// The topic as the camera named it, e.g. `tns1:VideoSource/SignalLoss`.
    public var topic: String
    /// Whether the condition holds (the event's `State`, `IsTamper` … true) or is over.
    public var active: Bool
    /// `Initialized` (the state when the subscription began), `Changed` or `Deleted`.
    public var operation: String?
    /// The event's source, e.g. the video source token `VideoSource_1`.
    public var source: String?
    /// When it happened, by the camera's clock corrected by the measured skew (our time).
    public var at: Date
    /// When the prober pulled it.
    public var receivedAt: Date
    public var prober: String

    public init(cameraID: String, kind: Kind, topic: String, active: Bool, operation: String? = nil, source: String? = nil, at: Date,
                receivedAt: Date, prober: String) {
        self.cameraID = cameraID; self.kind = kind; self.topic = topic; self.active = active; self.operation = operation
        self.source = source; self.at = at; self.receivedAt = receivedAt; self.prober = prober
    }
}
