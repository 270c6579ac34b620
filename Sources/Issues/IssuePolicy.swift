/// Thresholds of the incident logic.
public struct IssuePolicy: Sendable, Equatable {
    /// Consecutive failed checks before an incident opens.
    public var openAfter: Int
    /// Consecutive good checks before it resolves.
    public var recoverAfter: Int
    /// ICMP loss (percent) at or above which LOSS counts as a degraded line.
    public var lossThreshold: Double

    /// Openings within `flapWindow` seconds that mark a camera as flapping.
    public var flapCount: Int
    public var flapWindow: Double
    /// A flapping camera needs `recoverAfter × flapHoldFactor` good checks to resolve.
    public var flapHoldFactor: Int
    /// Seconds a new camera incident is held before it is announced (`IssueRecord.holdUntil`), so
    /// that a site or stream-server outage is announced once, as a group, and the monitor's own
    /// outage is recognised before anyone is blamed; 0 = announce at once.
    public var announceHold: Double

    public init(openAfter: Int = 3, recoverAfter: Int = 2, lossThreshold: Double = 20,
                flapCount: Int = 3, flapWindow: Double = 1800, flapHoldFactor: Int = 5, announceHold: Double = 0) {
        self.openAfter = max(1, openAfter)
        self.recoverAfter = max(1, recoverAfter)
        self.lossThreshold = lossThreshold
        self.flapCount = max(2, flapCount)
        self.flapWindow = flapWindow
        self.flapHoldFactor = max(1, flapHoldFactor)
        self.announceHold = max(0, announceHold)
    }

    /// Consecutive good checks an incident needs to resolve (more while the camera is flapping).
    public func recoveryChecks(flapping: Bool) -> Int { recoverAfter * (flapping ? flapHoldFactor : 1) }
}
