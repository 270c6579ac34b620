/// How often to check a camera that stays dead.
///
/// The rule: after ``failuresBeforeBackoff`` consecutive failed checks (5 by default — past
/// the issues service's 3 needed to open an incident, so backing off never delays an
/// opening), the camera is checked every `factor ×` its interval (2×), but never less often
/// than every ``maximumInterval`` (5 min) unless its own interval is already longer. The
/// first good check ends the back-off at once, so a recovery is seen at most one backed-off
/// interval after it happens, and the following checks (which the issues service needs to
/// confirm the recovery) run at the normal pace again.
package struct BackoffPolicy: Sendable, Equatable {
    package var failuresBeforeBackoff: Int
    package var factor: Double
    package var maximumInterval: Double

    package init(failuresBeforeBackoff: Int = 5, factor: Double = 2, maximumInterval: Double = 300) {
        self.failuresBeforeBackoff = failuresBeforeBackoff
        self.factor = factor
        self.maximumInterval = maximumInterval
    }

    /// Seconds until the next check of a camera with interval `base` after `failures` consecutive failures.
    package func interval(base: Double, failures: Int) -> Double {
        guard failures >= failuresBeforeBackoff else { return base }
        return max(base, min(base * factor, maximumInterval))
    }
}
