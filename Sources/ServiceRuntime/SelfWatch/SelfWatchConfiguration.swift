import Foundation

/// How the monitor watches itself: when it counts as stalled, when operators are told, and the
/// optional outbound heartbeat. Read once per process from the `monitor.*` settings; the issues
/// service (pulse), the gateway ("monitoring stalled") and the notifier (notices, heartbeat) share it.
public struct SelfWatchConfiguration: Sendable, Equatable {
    /// Seconds without any check result after which monitoring counts as stalled.
    public var stallAfter: Double
    /// Seconds a service may be offline (or the broker unreachable) before operators are told.
    public var offlineAfter: Double
    /// Called (GET) every ``heartbeatEvery`` seconds while everything is healthy.
    public var heartbeatURL: String?
    /// Called instead while something is unhealthy; `nil` = stay silent then.
    public var heartbeatFailURL: String?
    /// Seconds between heartbeat calls.
    public var heartbeatEvery: Double

    public init(stallAfter: Double, offlineAfter: Double, heartbeatURL: String? = nil, heartbeatFailURL: String? = nil, heartbeatEvery: Double = 60) {
        self.stallAfter = stallAfter; self.offlineAfter = offlineAfter
        self.heartbeatURL = heartbeatURL; self.heartbeatFailURL = heartbeatFailURL; self.heartbeatEvery = heartbeatEvery
    }

    /// Reads `monitor.stall-after` (0 = two `prober.interval`s plus 10 s for the check itself),
    /// `monitor.offline-after`, `monitor.heartbeat-url`, `monitor.heartbeat-fail-url` and
    /// `monitor.heartbeat-every`.
    /// - Throws: ``SettingsError`` naming the key at fault.
    public init(settings: Settings) throws(SettingsError) {
        let stall = try settings.double("monitor.stall-after", in: 0...604_800)
        let interval = try settings.double("prober.interval", in: 1...86_400)
        self.stallAfter = stall > 0 ? stall : 2 * interval + 10
        self.offlineAfter = try settings.double("monitor.offline-after", in: 1...604_800)
        self.heartbeatEvery = try settings.double("monitor.heartbeat-every", in: 1...86_400)
        for key in ["monitor.heartbeat-url", "monitor.heartbeat-fail-url"] {
            if let url = settings.string(key), !Self.isHTTPURL(url) {
                throw .invalid(key: key, value: url, expected: "an http:// or https:// URL (a Healthchecks.io or Uptime Kuma push URL)")
            }
        }
        self.heartbeatURL = settings.string("monitor.heartbeat-url")
        self.heartbeatFailURL = settings.string("monitor.heartbeat-fail-url")
    }

    /// Seconds between pulses of the issues service: often enough that a stall is seen within
    /// about a quarter of ``stallAfter``, at most every 5 s (one small retained message).
    public var pulseEvery: Double { min(5, max(0.5, stallAfter / 4)) }

    static func isHTTPURL(_ text: String) -> Bool {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty else { return false }
        return (url.port ?? 80) >= 1 && (url.port ?? 80) <= 65_535
    }
}
