/// Thresholds of the incident logic.
public struct IssuePolicy: Sendable, Equatable {
    /// Consecutive failed checks before an incident opens.
    public var openAfter: Int
    /// Consecutive good checks before it resolves.
    public var recoverAfter: Int
    /// ICMP loss (percent) at or above which LOSS counts as a degraded line.
    public var lossThreshold: Double

    public init(openAfter: Int = 3, recoverAfter: Int = 2, lossThreshold: Double = 20) {
        self.openAfter = max(1, openAfter)
        self.recoverAfter = max(1, recoverAfter)
        self.lossThreshold = lossThreshold
    }
}
