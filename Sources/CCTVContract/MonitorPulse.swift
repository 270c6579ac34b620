import Foundation

/// `monitor.pulse`, retained on `monitor/pulse`: the issues service's account of check results
/// arriving, published every few seconds while it runs. The gateway ("monitoring stalled") and
/// the notifier (operators told, outbound heartbeat) judge from it whether the monitor still
/// monitors; a pulse that stops coming is itself the sign that it does not.
public struct MonitorPulse: Codable, Sendable, Equatable {
    /// When the last check result arrived (the sender's clock); `nil` when none since it started.
    public var lastResultAt: Date?
    /// Since when the sender counts (its start): with no result yet, the silence began then.
    public var since: Date
    /// Results received since the previous pulse.
    public var results: Int
    /// Enabled cameras the issues service knows: with none, no result is expected.
    public var cameras: Int
    /// Seconds between pulses.
    public var every: Double

    public init(lastResultAt: Date?, since: Date, results: Int, cameras: Int, every: Double) {
        self.lastResultAt = lastResultAt; self.since = since; self.results = results; self.cameras = cameras; self.every = every
    }
}

/// `monitor.checked`, on `monitor/checked` (QoS 0, not retained): when the last result of each
/// camera that had one since the previous message arrived, at most 2,000 cameras a message. The
/// gateway keeps these in memory for "last checked", so a result costs no write anywhere.
public struct MonitorChecked: Codable, Sendable, Equatable {
    /// Camera id → time of its latest result (the sender's clock).
    public var cameras: [String: Date]

    public init(cameras: [String: Date]) { self.cameras = cameras }

    /// Cameras per message: ~50 bytes each keeps one well under the 256 KiB payload limit.
    public static let maxCameras = 2_000
}
