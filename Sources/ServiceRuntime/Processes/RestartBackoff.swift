/// How long to wait before restarting a supervised process that died: soon after a first crash,
/// doubling while it keeps dying young, and back to soon once it has run stably for a while.
package struct RestartBackoff: Sendable, Equatable {
    /// Delay before the first restart, seconds.
    package var initial: Double
    /// Longest delay, seconds.
    package var maximum: Double
    /// A run at least this long (seconds) counts as stable and resets the delay.
    package var stableAfter: Double
    /// Deaths in a row of a process that did not run stably.
    package private(set) var failures = 0

    package init(initial: Double = 0.25, maximum: Double = 30, stableAfter: Double = 60) {
        self.initial = initial; self.maximum = maximum; self.stableAfter = stableAfter
    }

    /// The delay before the next start of a process that just died after running `ranFor` seconds.
    package mutating func delay(afterRunningFor ranFor: Double) -> Double {
        if ranFor >= stableAfter { failures = 0 }
        defer { failures += 1 }
        var delay = initial
        for _ in 0..<min(failures, 32) { delay *= 2 }
        return min(maximum, delay)
    }
}
