import CCTVContract
import Foundation

/// The port the prober uses for ICMP: one check of one address, or many started at once. The
/// adapter is the shared-socket engine in `ICMP/`; tests can pass their own.
package protocol ICMPProbing: Sendable {
    /// Runs one check (K echoes) and returns its verdict.
    func check(address: String) async -> ICMPVerdict
    /// Starts one check per address and returns at once; `finished` is called once per address
    /// (with its index in `addresses`) when that check is final, on whatever thread finished it,
    /// and must return quickly.
    func start(_ addresses: [String], finished: @escaping @Sendable (Int, ICMPVerdict) -> Void)
}

extension ICMPProbing {
    /// For probes that only check one at a time (tests' stand-ins): a task per address, timed here.
    package func start(_ addresses: [String], finished: @escaping @Sendable (Int, ICMPVerdict) -> Void) {
        for (index, address) in addresses.enumerated() {
            Task {
                let startedAt = Date()
                let clock = ContinuousClock.now
                var verdict = await check(address: address)
                verdict.startedAt = verdict.startedAt ?? startedAt
                verdict.durationMs = verdict.durationMs ?? ProberService.milliseconds(ContinuousClock.now - clock)
                finished(index, verdict)
            }
        }
    }
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
    /// When the check started and how long it took, as the probe timed it (`nil`: the caller times it).
    package var startedAt: Date?
    package var durationMs: Double?

    package init(status: ICMPStatus, reason: String, sent: Int, received: Int, refused: Int = 0, rttMinMs: Double? = nil, rttAvgMs: Double? = nil, rttMaxMs: Double? = nil,
                 replyFrom: String? = nil, startedAt: Date? = nil, durationMs: Double? = nil) {
        self.status = status; self.reason = reason; self.sent = sent; self.received = received; self.refused = refused
        self.rttMinMs = rttMinMs; self.rttAvgMs = rttAvgMs; self.rttMaxMs = rttMaxMs; self.replyFrom = replyFrom
        self.startedAt = startedAt; self.durationMs = durationMs
    }

    /// Loss in percent.
    package var lossPercent: Double { sent == 0 ? 100 : Double(sent - received) * 100 / Double(sent) }
}
