/// Thresholds of the incident logic.
package struct IssuePolicy: Sendable, Equatable {
    /// Consecutive failed checks before an incident opens.
    package var openAfter: Int
    /// Consecutive good checks before it resolves.
    package var recoverAfter: Int
    /// ICMP loss (percent) at or above which LOSS counts as a degraded line.
    package var lossThreshold: Double

    /// Openings within `flapWindow` seconds that mark a camera as flapping.
    package var flapCount: Int
    package var flapWindow: Double
    /// A flapping camera needs `recoverAfter × flapHoldFactor` good checks to resolve.
    package var flapHoldFactor: Int
    /// Seconds a new camera incident is held before it is announced (`IssueRecord.holdUntil`), so
    /// that a site or stream-server outage is announced once, as a group, and the monitor's own
    /// outage is recognised before anyone is blamed; 0 = announce at once.
    package var announceHold: Double

    package init(openAfter: Int = 3, recoverAfter: Int = 2, lossThreshold: Double = 20,
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
    package func recoveryChecks(flapping: Bool) -> Int { recoverAfter * (flapping ? flapHoldFactor : 1) }

    /// The largest streak any rule asks for (`openAfter`, the recovery checks of a flapping camera,
    /// the picture rule): streaks stop counting there. Every rule compares a streak with `>=` a
    /// threshold at most this high, so a capped streak decides the same; and a healthy camera's
    /// track stops changing with every result, so its results write nothing (``ResultIntake``).
    package var streakCeiling: Int { max(openAfter, recoveryChecks(flapping: true), Diagnosis.pictureOpenAfter) }

    /// A streak one result longer, capped at ``streakCeiling``.
    package func extended(_ streak: Int) -> Int { min(streak + 1, streakCeiling) }
}
