import Glibc

/// Monotonic nanosecond clock used for every deadline and RTT in the engine.
///
/// Wall-clock time can jump (NTP, operator changes); RTTs and timeouts must not.
/// `clock_gettime(CLOCK_MONOTONIC)` is a vDSO call, cheap enough per packet.
public enum MonotonicClock {
    /// Current monotonic time in nanoseconds.
    @inline(__always)
    public static func nowNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Turns wall-clock times (the kernel's arrival stamps) into monotonic ones, against one
    /// reading of both clocks taken when made: exact to the microsecond around that moment,
    /// which is all a look at the receive socket needs.
    struct WallClockConverter {
        let monotonic: UInt64
        let wall: UInt64

        init() {
            var ts = timespec()
            clock_gettime(CLOCK_REALTIME, &ts)
            wall = UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
            monotonic = MonotonicClock.nowNanoseconds()
        }

        /// The monotonic time of `wallNanoseconds` (never below zero).
        func monotonic(ofWall wallNanoseconds: UInt64) -> UInt64 {
            let shifted = Int64(bitPattern: monotonic) &+ (Int64(bitPattern: wallNanoseconds) &- Int64(bitPattern: wall))
            return UInt64(max(0, shifted))
        }
    }
}

extension Duration {
    /// Whole nanoseconds, clamped at zero, so configuration can use `Duration`
    /// while the hot path stays in plain integers.
    var clampedNanoseconds: UInt64 {
        let parts = components
        if parts.seconds < 0 { return 0 }
        return UInt64(parts.seconds) &* 1_000_000_000 &+ UInt64(parts.attoseconds / 1_000_000_000)
    }
}
