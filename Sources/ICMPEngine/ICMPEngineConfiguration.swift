/// Tunables of an `ICMPEngine`. Defaults match a typical camera check:
/// 3 echoes, 1 s apart, 1 s timeout each, at most 2,000 packets/s site-wide.
public struct ICMPEngineConfiguration: Sendable, Hashable {
    /// Echoes per check (K). Overridable per call.
    public var echoesPerCheck: Int = 3
    /// Spacing between a target's echoes; down to milliseconds is fine.
    public var interval: Duration = .seconds(1)
    /// Per-echo timeout, counted from the moment that echo was sent.
    public var timeout: Duration = .seconds(1)
    /// Global packet rate across all targets; `0` = unlimited (benchmarks only).
    public var packetsPerSecond: Double = 2_000
    /// Token-bucket burst size: how many packets may leave back-to-back.
    public var burst: Int = 64
    /// Socket mode selection; `.automatic` prefers unprivileged datagram sockets.
    public var socketMode: ICMPSocketModePreference = .automatic
    /// Open an IPv4 socket.
    public var enableIPv4: Bool = true
    /// Open an IPv6 socket (failure to open it is tolerated when IPv4 works).
    public var enableIPv6: Bool = true
    /// Bytes of echo payload (>= 12: timestamp + cookie).
    public var payloadSize: Int = 24
    /// Socket send/receive buffer size. Large so reply bursts are not dropped.
    public var socketBufferBytes: Int = 16 << 20
    /// Threads used for host-name resolution (IP literals bypass them).
    public var resolverThreads: Int = 4
    /// Maximum packets the scheduler hands to `sendto` per lock acquisition.
    public var sendBatchSize: Int = 256
    /// The engine's threads sleep at least this long between looks (a new check still wakes the
    /// scheduler at once): sends and timeouts due within one tick are handled together, so an echo
    /// may leave, and a timeout be judged, up to one tick late; replies are read up to one tick
    /// after they arrived. Round-trip times are not affected (each echo carries the time it was
    /// sent, each reply the kernel's arrival stamp). Why: at 5,000 echoes a second (16,670 cameras
    /// every 10 s, 3 echoes) the scheduler woke ~2,000 times a second for nearly every
    /// millisecond's send or timeout, and the receive thread ~1,500 for the replies
    /// (`scripts/threads.py`). `.zero`: every thread wakes as soon as there is work.
    public var tick: Duration = .milliseconds(5)

    /// Creates the default configuration.
    public init() {}
}

/// Socket mode actually in use per family (`nil` = family unavailable).
public struct ICMPEngineMode: Sendable, Hashable, CustomStringConvertible {
    /// IPv4 socket mode.
    public var ipv4: ICMPSocketMode?
    /// IPv6 socket mode.
    public var ipv6: ICMPSocketMode?

    /// E.g. `ipv4=raw ipv6=raw`.
    public var description: String {
        "ipv4=\(ipv4?.rawValue ?? "unavailable") ipv6=\(ipv6?.rawValue ?? "unavailable")"
    }
}
