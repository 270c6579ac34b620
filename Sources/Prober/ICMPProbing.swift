import CCTVContract
import Foundation

/// The port the prober uses for ICMP: one check of one address. The adapter is the shared-socket
/// engine in `ICMP/`; tests can pass their own.
package protocol ICMPProbing: Sendable {
    /// Runs one check (K echoes) and returns its verdict.
    func check(address: String) async -> ICMPVerdict
}

/// What an ICMP check found, before it is stamped with the camera and prober ids.
package struct ICMPVerdict: Sendable, Equatable {
    package var status: ICMPStatus
    package var reason: String
    /// Echoes attempted, including those the local host refused to send.
    package var sent: Int
    package var received: Int
    /// Echoes the local host refused to send (counted as lost).
    package var refused: Int
    package var rttMinMs: Double?
    package var rttAvgMs: Double?
    package var rttMaxMs: Double?
    package var replyFrom: String?

    package init(status: ICMPStatus, reason: String, sent: Int, received: Int, refused: Int = 0, rttMinMs: Double? = nil, rttAvgMs: Double? = nil, rttMaxMs: Double? = nil, replyFrom: String? = nil) {
        self.status = status; self.reason = reason; self.sent = sent; self.received = received; self.refused = refused
        self.rttMinMs = rttMinMs; self.rttAvgMs = rttAvgMs; self.rttMaxMs = rttMaxMs; self.replyFrom = replyFrom
    }

    /// Loss in percent.
    package var lossPercent: Double { sent == 0 ? 100 : Double(sent - received) * 100 / Double(sent) }
}
