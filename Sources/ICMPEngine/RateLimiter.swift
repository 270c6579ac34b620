/// Token bucket limiting packets per second across *all* targets, so a sweep
/// of 100,000 cameras never floods a site uplink. Time is passed in explicitly
/// (monotonic ns) rather than read inside, which makes it a pure value that
/// tests drive with a fake clock.
public struct TokenBucket: Sendable, Equatable {
    /// Sustained rate; `0` (or negative) means unlimited.
    public let packetsPerSecond: Double
    /// Largest burst allowed after an idle period.
    public let capacity: Double
    /// Tokens currently available.
    public private(set) var tokens: Double
    /// Time of the last refill.
    public private(set) var lastRefillNanoseconds: UInt64

    /// Creates a full bucket.
    public init(packetsPerSecond: Double, burst: Int, now: UInt64) {
        self.packetsPerSecond = packetsPerSecond
        self.capacity = Double(max(1, burst))
        self.tokens = self.capacity
        self.lastRefillNanoseconds = now
    }

    /// True when no limit applies.
    public var isUnlimited: Bool { packetsPerSecond <= 0 }

    private mutating func refill(now: UInt64) {
        guard now > lastRefillNanoseconds else { return }
        let elapsed = Double(now - lastRefillNanoseconds) / 1e9
        tokens = min(capacity, tokens + elapsed * packetsPerSecond)
        lastRefillNanoseconds = now
    }

    /// Takes one token if available; returns false if the caller must wait.
    public mutating func tryAcquire(now: UInt64) -> Bool {
        if isUnlimited { return true }
        refill(now: now)
        if tokens >= 1 {
            tokens -= 1
            return true
        }
        return false
    }

    /// Earliest time at which `tryAcquire` will succeed (== `now` if it would now).
    public func nextAvailable(now: UInt64) -> UInt64 {
        if isUnlimited { return now }
        var copy = self
        copy.refill(now: now)
        if copy.tokens >= 1 { return now }
        let missing = 1 - copy.tokens
        return now + UInt64((missing / packetsPerSecond * 1e9).rounded(.up))
    }
}
