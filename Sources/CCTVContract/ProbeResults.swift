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
    /// Machine-readable cause, e.g. `ok`, `partial_loss`, `no_reply`, `host_unreachable`.
    public var reason: String
    public var sent: Int
    public var received: Int
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
                lossPercent: Double, rttMinMs: Double? = nil, rttAvgMs: Double? = nil, rttMaxMs: Double? = nil,
                replyFrom: String? = nil, startedAt: Date, durationMs: Double, prober: String, inconclusive: String? = nil) {
        self.cameraID = cameraID; self.address = address; self.status = status; self.reason = reason
        self.sent = sent; self.received = received; self.lossPercent = lossPercent
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
    public var startedAt: Date
    public var durationMs: Double
    public var prober: String
    /// As ``ICMPResult/inconclusive``: the prober's own network was down during the check.
    public var inconclusive: String?

    public init(cameraID: String, url: String, status: HLSStatus, reason: String, detail: String? = nil,
                httpStatus: Int? = nil, playlistLatencyMs: Double? = nil, segmentAgeSeconds: Double? = nil,
                bitrateKbps: Double? = nil, codec: String? = nil, width: Int? = nil, height: Int? = nil,
                startedAt: Date, durationMs: Double, prober: String, inconclusive: String? = nil) {
        self.cameraID = cameraID; self.url = url; self.status = status; self.reason = reason; self.detail = detail
        self.httpStatus = httpStatus; self.playlistLatencyMs = playlistLatencyMs; self.segmentAgeSeconds = segmentAgeSeconds
        self.bitrateKbps = bitrateKbps; self.codec = codec; self.width = width; self.height = height
        self.startedAt = startedAt; self.durationMs = durationMs; self.prober = prober
        self.inconclusive = inconclusive
    }
}
