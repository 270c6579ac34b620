import Foundation

/// How the monitor watches itself: when it counts as stalled, when operators are told, and the
/// optional outbound heartbeat. Shared by the issues service (pulse), the gateway ("monitoring
/// stalled") and the notifier (notices, heartbeat), so it is part of ``RuntimeConfiguration``.
package struct SelfWatchConfiguration: Sendable, Equatable {
    /// Seconds without any check result after which monitoring counts as stalled; `nil` = two
    /// prober intervals plus 10 s for the check itself (``stallAfter``).
    package var stallAfterOverride: Double?
    /// The prober's default check interval, which the default stall time follows (set by the
    /// installation from the prober's configuration).
    package var proberInterval: Double = 60
    /// Seconds a service may be offline (or the broker unreachable) before operators are told.
    package var offlineAfter: Double = 120
    /// Called (GET) every ``heartbeatEvery`` seconds while everything is healthy.
    package var heartbeatURL: String?
    /// Called instead while something is unhealthy; `nil` = stay silent then.
    package var heartbeatFailURL: String?
    /// Seconds between heartbeat calls.
    package var heartbeatEvery: Double = 60

    package init() {}

    /// A configuration with an explicit stall time (tests).
    package init(stallAfter: Double, offlineAfter: Double, heartbeatURL: String? = nil, heartbeatFailURL: String? = nil, heartbeatEvery: Double = 60) {
        self.stallAfterOverride = stallAfter; self.offlineAfter = offlineAfter
        self.heartbeatURL = heartbeatURL; self.heartbeatFailURL = heartbeatFailURL; self.heartbeatEvery = heartbeatEvery
    }

    /// Seconds without any check result after which monitoring counts as stalled.
    package var stallAfter: Double { stallAfterOverride ?? 2 * proberInterval + 10 }

    /// Seconds between pulses of the issues service: often enough that a stall is seen within
    /// about a quarter of ``stallAfter``, at most every 5 s (one small retained message).
    package var pulseEvery: Double { min(5, max(0.5, stallAfter / 4)) }
}

extension SelfWatchConfiguration {
    enum Key {
        static let d = SelfWatchConfiguration()
        static let stallAfter = SettingKey.number("monitor.stall-after", default: 0, in: 0...604_800,
                                                  "seconds without any check result after which the dashboard says \"monitoring stalled\" and operators are told; 0 = two prober intervals plus 10 s")
        static let offlineAfter = SettingKey.number("monitor.offline-after", default: d.offlineAfter, in: 1...604_800,
                                                    "seconds a service may be offline (or the broker unreachable) before operators are told; they are told again when it is back")
        static let heartbeatURL = SettingKey.text("monitor.heartbeat-url", secret: true,
                                                  "outbound heartbeat: URL called (GET) every monitor.heartbeat-every seconds while everything is healthy (Healthchecks.io / Uptime Kuma push URL); empty = off")
        static let heartbeatFailURL = SettingKey.text("monitor.heartbeat-fail-url", secret: true,
                                                      "URL called instead while something is unhealthy (e.g. https://hc-ping.com/<uuid>/fail); empty = the heartbeat just stops")
        static let heartbeatEvery = SettingKey.number("monitor.heartbeat-every", default: d.heartbeatEvery, in: 1...86_400, "seconds between heartbeat calls")
    }

    /// The `monitor.*` keys.
    package static let keys: [SettingKey] = [Key.stallAfter, Key.offlineAfter, Key.heartbeatURL, Key.heartbeatFailURL, Key.heartbeatEvery]

    /// Reads the `monitor.*` keys once.
    /// - Throws: ``SettingsError`` naming the key at fault (a heartbeat URL must be http(s) with a valid port).
    package init(settings: Settings) throws(SettingsError) {
        self.init()
        let stall = try settings.number(Key.stallAfter)
        stallAfterOverride = stall > 0 ? stall : nil
        offlineAfter = try settings.number(Key.offlineAfter)
        heartbeatEvery = try settings.number(Key.heartbeatEvery)
        for key in [Key.heartbeatURL, Key.heartbeatFailURL] {
            if let url = settings.text(key), !Self.isHTTPURL(url) {
                throw .invalid(key: key.name, value: url, expected: "an http:// or https:// URL (a Healthchecks.io or Uptime Kuma push URL)")
            }
        }
        heartbeatURL = settings.text(Key.heartbeatURL)
        heartbeatFailURL = settings.text(Key.heartbeatFailURL)
    }

    static func isHTTPURL(_ text: String) -> Bool {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty else { return false }
        return (url.port ?? 80) >= 1 && (url.port ?? 80) <= 65_535
    }
}
