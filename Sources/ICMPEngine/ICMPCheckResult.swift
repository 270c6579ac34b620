import Foundation

/// Outcome class of one check, mirroring what a camera dashboard shows.
public enum ICMPStatus: String, Sendable, Hashable, Codable {
    /// Every echo was answered.
    case success
    /// Some, but not all, echoes were answered.
    case loss
    /// No echo was answered and nothing reported an error (silent drop / host down).
    case timeout
    /// The probe could not be carried out or an error came back
    /// (unreachable, local firewall, resolve failure, socket problem).
    case fail
}

/// Result of checking one address with K echoes. A plain value so it can
/// cross threads, be logged or be encoded without touching the engine.
public struct ICMPCheckResult: Sendable, Hashable, Codable {
    /// The address exactly as the caller passed it.
    public var address: String
    /// Overall status.
    public var status: ICMPStatus
    /// snake_case reason: `ok`, `partial_loss`, `no_reply`, `host_unreachable`,
    /// `net_unreachable`, `admin_prohibited`, `port_unreachable`, `ttl_exceeded`,
    /// `send_refused` (the local host refused to send, e.g. a local firewall; also with LOSS),
    /// `send_failed`, `dns_unresolved` (the host name does not resolve), `socket_error`, `sequence_space_exhausted`,
    /// `engine_not_running`, `engine_shutdown`, `invalid_count`.
    public var reason: String
    /// Echo requests attempted (transient `EAGAIN`/`ENOBUFS` retries not counted twice),
    /// including those the local host refused to send.
    public var sent: Int
    /// Matching echo replies received.
    public var received: Int
    /// Echoes the local host refused to send (a local firewall: `EPERM`); each counts as lost.
    public var refused: Int
    /// Percentage of *attempted* echoes without a reply (0...100).
    public var lossPercent: Double
    /// Minimum RTT in milliseconds, nil if nothing was received.
    public var rttMinMs: Double?
    /// Mean RTT in milliseconds, nil if nothing was received.
    public var rttAvgMs: Double?
    /// Maximum RTT in milliseconds, nil if nothing was received.
    public var rttMaxMs: Double?
    /// Source of the last reply or error (may differ from `address` behind NAT / for router errors).
    public var replyFrom: String?
    /// Wall-clock start, for reporting only (durations use the monotonic clock).
    public var startedAt: Date
    /// Monotonic duration of the whole check in milliseconds.
    public var durationMs: Double

    /// Memberwise initialiser.
    public init(address: String, status: ICMPStatus, reason: String, sent: Int, received: Int, refused: Int = 0, lossPercent: Double,
                rttMinMs: Double?, rttAvgMs: Double?, rttMaxMs: Double?, replyFrom: String?, startedAt: Date, durationMs: Double) {
        self.refused = refused
        self.address = address
        self.status = status
        self.reason = reason
        self.sent = sent
        self.received = received
        self.lossPercent = lossPercent
        self.rttMinMs = rttMinMs
        self.rttAvgMs = rttAvgMs
        self.rttMaxMs = rttMaxMs
        self.replyFrom = replyFrom
        self.startedAt = startedAt
        self.durationMs = durationMs
    }

    /// A result for a check that never sent anything (bad input, no socket, ...).
    public static func failure(address: String, reason: String, startedAt: Date = Date()) -> ICMPCheckResult {
        ICMPCheckResult(address: address, status: .fail, reason: reason, sent: 0, received: 0, lossPercent: 100,
                        rttMinMs: nil, rttAvgMs: nil, rttMaxMs: nil, replyFrom: nil, startedAt: startedAt, durationMs: 0)
    }
}
