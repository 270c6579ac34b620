import Foundation
import ServiceRuntime

/// Everything the issues service is told: the incident thresholds, the announce hold, grouping
/// (sites, stream servers), the monitor's own outage and how long it waits for the notifier's
/// acknowledgement of an event.
package struct IssuesConfiguration: Sendable, Equatable {
    /// Hysteresis, loss threshold, flapping and the announce hold (3 s: long enough for a site's
    /// results of one check round to arrive, so its outage is announced once, as a site).
    package var policy = IssuePolicy(announceHold: 3)
    /// When camera incidents of one site or one stream server become one group incident.
    package var storm = StormGrouping.Policy()
    /// When most of the fleet failing at once means the monitor's own network is down.
    package var monitor = MonitorOutage.Policy()
    /// Seconds to wait for the notifier's acknowledgement before re-publishing an issue event.
    package var ackTimeout: Double = 30

    package init() {}
}

extension IssuesConfiguration {
    enum Key {
        static let d = IssuesConfiguration()
        static let openAfter = SettingKey.integer("issues.open-after", default: d.policy.openAfter, in: 1...1000, "consecutive failed checks before an incident opens")
        static let recoverAfter = SettingKey.integer("issues.recover-after", default: d.policy.recoverAfter, in: 1...1000, "consecutive good checks before it resolves")
        static let lossThreshold = SettingKey.number("issues.loss-threshold", default: d.policy.lossThreshold, in: 0...100,
                                                     "ICMP loss % at or above which LOSS counts as a degraded line")
        static let flapCount = SettingKey.integer("issues.flap-count", default: d.policy.flapCount, in: 2...1000,
                                                  "incidents opened within issues.flap-window that mark a camera as flapping (held open until stable)")
        static let flapWindow = SettingKey.number("issues.flap-window", default: d.policy.flapWindow, in: 60...604_800, "seconds over which openings are counted for flapping")
        static let stormMin = SettingKey.integer("issues.storm-min", default: d.storm.minimumCameras, in: 0...1_000_000,
                                                 "cameras of one site line-down at once that group their LINE incidents under one site incident (0 = no grouping)")
        static let serverMin = SettingKey.integer("issues.server-min", default: d.storm.minimumPerServer, in: 0...1_000_000,
                                                  "cameras streaming from one server (same scheme, host and port of the HLS URL) failing at once that become one stream-server incident (0 = no grouping)")
        static let announceHold = SettingKey.number("issues.announce-hold", default: d.policy.announceHold, in: 0...600,
                                                    "seconds a new camera incident is held before it is announced, so a site or stream-server outage is announced once and the monitor's own outage is recognised first (0 = at once)")
        static let monitorShare = SettingKey.number("issues.monitor-share", default: d.monitor.share, in: 0...1,
                                                    "share (0–1) of all judged cameras failing at once that means the monitor's own network is down: results are inconclusive, only operators are told (0 = off)")
        static let monitorSites = SettingKey.integer("issues.monitor-sites", default: d.monitor.minimumSites, in: 1...100_000,
                                                     "sites with failing cameras needed for issues.monitor-share")
        static let monitorCameras = SettingKey.integer("issues.monitor-cameras", default: d.monitor.minimumCameras, in: 1...1_000_000,
                                                       "judged cameras needed before issues.monitor-share applies")
        static let monitorWindow = SettingKey.number("issues.monitor-window", default: d.monitor.window, in: 1...86_400,
                                                     "seconds within which the fleet must go from calm to issues.monitor-share failing (\"at the same instant\")")
        static let ackTimeout = SettingKey.number("issues.ack-timeout", default: d.ackTimeout, in: 0.5...3600,
                                                  "seconds to wait for the notifier's acknowledgement before re-publishing an issue event")
    }

    /// The `issues.*` keys.
    package static let keys: [SettingKey] = [Key.openAfter, Key.recoverAfter, Key.lossThreshold, Key.flapCount, Key.flapWindow, Key.stormMin, Key.serverMin,
                                          Key.announceHold, Key.monitorShare, Key.monitorSites, Key.monitorCameras, Key.monitorWindow, Key.ackTimeout]

    /// Reads the `issues.*` keys once.
    /// - Throws: ``SettingsError`` naming the key and what it accepts.
    package init(settings: Settings) throws(SettingsError) {
        self.init()
        policy.openAfter = try settings.integer(Key.openAfter)
        policy.recoverAfter = try settings.integer(Key.recoverAfter)
        policy.lossThreshold = try settings.number(Key.lossThreshold)
        policy.flapCount = try settings.integer(Key.flapCount)
        policy.flapWindow = try settings.number(Key.flapWindow)
        storm.minimumCameras = try settings.integer(Key.stormMin)
        storm.minimumPerServer = try settings.integer(Key.serverMin)
        policy.announceHold = try settings.number(Key.announceHold)
        monitor = MonitorOutage.Policy(share: try settings.number(Key.monitorShare), minimumSites: try settings.integer(Key.monitorSites),
                                       minimumCameras: try settings.integer(Key.monitorCameras), window: try settings.number(Key.monitorWindow))
        ackTimeout = try settings.number(Key.ackTimeout)
    }
}
