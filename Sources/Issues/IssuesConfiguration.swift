import Foundation
import ServiceRuntime

/// Everything the issues service is told: the incident thresholds, storm grouping and how long it
/// waits for the notifier's acknowledgement of an event.
public struct IssuesConfiguration: Sendable, Equatable {
    /// Hysteresis, loss threshold and flapping.
    public var policy = IssuePolicy()
    /// When line incidents of one site become one site-wide incident.
    public var storm = StormGrouping.Policy()
    /// Seconds to wait for the notifier's acknowledgement before re-publishing an issue event.
    public var ackTimeout: Double = 30

    public init() {}
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
                                                 "cameras of one site with a line incident at once that become one site-wide incident (0 = no grouping)")
        static let ackTimeout = SettingKey.number("issues.ack-timeout", default: d.ackTimeout, in: 0.5...3600,
                                                  "seconds to wait for the notifier's acknowledgement before re-publishing an issue event")
    }

    /// The `issues.*` keys.
    public static let keys: [SettingKey] = [Key.openAfter, Key.recoverAfter, Key.lossThreshold, Key.flapCount, Key.flapWindow, Key.stormMin, Key.ackTimeout]

    /// Reads the `issues.*` keys once.
    /// - Throws: ``SettingsError`` naming the key and what it accepts.
    public init(settings: Settings) throws(SettingsError) {
        self.init()
        policy.openAfter = try settings.integer(Key.openAfter)
        policy.recoverAfter = try settings.integer(Key.recoverAfter)
        policy.lossThreshold = try settings.number(Key.lossThreshold)
        policy.flapCount = try settings.integer(Key.flapCount)
        policy.flapWindow = try settings.number(Key.flapWindow)
        storm.minimumCameras = try settings.integer(Key.stormMin)
        ackTimeout = try settings.number(Key.ackTimeout)
    }
}
