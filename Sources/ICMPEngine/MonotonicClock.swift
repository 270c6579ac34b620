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
