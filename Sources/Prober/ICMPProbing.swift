import CCTVContract
import Foundation

/// The port the prober uses for ICMP: one check of one address. The adapter is the shared-socket
/// engine in `ICMP/`; tests can pass their own.
public protocol ICMPProbing: Sendable {
    /// Runs one check (K echoes) and returns its verdict.
    func check(address: String) async -> ICMPVerdict
}

/// What an ICMP check found, before it is stamped with the camera and prober ids.
public struct ICMPVerdict: Sendable, Equatable {
    public var status: ICMPStatus
    public var reason: String
    /// Echoes attempted, including those the local host refused to send.
    public var sent: Int
    public var received: Int
    /// Echoes the local host refused to send (counted as lost).
    public var refused: Int
    public var rttMinMs: Double?
    public var rttAvgMs: Double?
    public var rttMaxMs: Double?
    public var replyFrom: String?

    public init(status: ICMPStatus, reason: String, sent: Int, received: Int, refused: Int = 0, rttMinMs: Double? = nil, rttAvgMs: Double? = nil, rttMaxMs: Double? = nil, replyFrom: String? = nil) {
        self.status = status; self.reason = reason; self.sent = sent; self.received = received; self.refused = refused
        self.rttMinMs = rttMinMs; self.rttAvgMs = rttAvgMs; self.rttMaxMs = rttMaxMs; self.replyFrom = replyFrom
    }

    /// Loss in percent.
    public var lossPercent: Double { sent == 0 ? 100 : Double(sent - received) * 100 / Double(sent) }
}
