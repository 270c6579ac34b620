import Foundation

/// The time the prober's decisions read: monotonic seconds for schedules and live-ness, wall
/// time for the age of a stream's `EXT-X-PROGRAM-DATE-TIME`, and the wait between playlist
/// reloads. Injected so tests of stall detection and scheduling move time instead of waiting
/// for it; network deadlines (a hung server) stay on the real clock, they bound real sockets.
package protocol CheckClock: Sendable {
    /// Monotonic seconds since an arbitrary origin (never jumps with NTP).
    var seconds: Double { get }
    /// Wall-clock now.
    var date: Date { get }
    /// Waits `duration` of this clock's time.
    func sleep(for duration: Duration) async throws
}

/// The real clocks: `ContinuousClock` since creation and `Date()`.
package struct SystemCheckClock: CheckClock {
    private let origin = ContinuousClock.now

    package init() {}

    package var seconds: Double { (ContinuousClock.now - origin).seconds }
    package var date: Date { Date() }
    package func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}

extension Duration {
    /// The duration in (fractional) seconds.
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
