import Foundation
import ServiceRuntime

/// Everything the gateway is told: where it listens, where the dashboard's files and Chart.js
/// come from, how long history is kept, and whether /metrics carries per-camera series.
public struct GatewayConfiguration: Sendable, Equatable {
    /// Listen address.
    public var host = "0.0.0.0"
    /// Listen port (0 = any free port, for tests).
    public var port = 8080
    /// Serve the dashboard's files from this folder, read on every request (development); nil = the files built in.
    public var staticDir: String?
    /// Chart.js (Debian's libjs-chart.js), served at `/vendor/chart.js/`.
    public var chartDir = "/usr/share/javascript/chart.js"
    /// Days of state changes (availability, SLA) and 4-hour chart buckets kept.
    public var historyRetentionDays = 31
    /// Days of 15-minute chart buckets kept (hourly ones: 8 days).
    public var historyDetailDays = 2
    /// Seconds between writes of the summed check measurements.
    public var historyFlushInterval: TimeInterval = 300
    /// Per-camera series on /metrics (up, RTT, loss, HLS latency).
    public var perCameraMetrics = true
    /// The prober's default check interval (cameras without their own), for "stalled"; set from the prober's configuration.
    public var defaultCheckInterval: TimeInterval = 60

    public init() {}

    /// The history's retention.
    public var retention: HistoryStore.Retention {
        HistoryStore.Retention(detailDays: historyDetailDays, hourlyDays: 8, days: historyRetentionDays)
    }
}

extension GatewayConfiguration {
    enum Key {
        static let d = GatewayConfiguration()
        static let host = SettingKey.text("http.host", default: d.host, "gateway listen address")
        static let port = SettingKey.integer("http.port", default: d.port, in: 0...65_535, "gateway port (dashboard, REST, /metrics)")
        static let staticDir = SettingKey.text("http.static-dir",
                                               "serve the dashboard's files from this folder, read on every request (development: edit Sources/Gateway/Dashboard and reload, no rebuild); empty = the files built into the binary")
        static let chartDir = SettingKey.text("http.chart-dir", default: d.chartDir, "folder of Chart.js for the dashboard's charts (Debian: libjs-chart.js)")
        static let retention = SettingKey.integer("history.retention-days", default: d.historyRetentionDays, in: 1...3660,
                                                  "days of state changes (availability, SLA reports) and 4-hour chart buckets the gateway keeps")
        static let detail = SettingKey.integer("history.detail-days", default: d.historyDetailDays, in: 1...31, "days of 15-minute chart buckets kept (hourly ones are kept 8 days)")
        static let flush = SettingKey.integer("history.flush-interval", default: Int(d.historyFlushInterval), in: 5...3600,
                                              "seconds between writes of the summed check measurements (a crash loses at most this much of the charts, never a state change)")
        static let perCamera = SettingKey.flag("metrics.per-camera", default: d.perCameraMetrics,
                                               "per-camera series on /metrics (up, RTT, loss, HLS latency); turn off for very large fleets")
    }

    /// The `http.*`, `history.*` and `metrics.*` keys of the gateway (`http.public-url` is shared: ``RuntimeConfiguration``).
    public static let keys: [SettingKey] = [Key.host, Key.port, Key.staticDir, Key.chartDir, Key.retention, Key.detail, Key.flush, Key.perCamera]

    /// Reads the gateway's keys once.
    public init(settings: Settings) throws(SettingsError) {
        self.init()
        host = settings.raw(Key.host)
        port = try settings.integer(Key.port)
        staticDir = settings.text(Key.staticDir)
        chartDir = settings.raw(Key.chartDir)
        historyRetentionDays = try settings.integer(Key.retention)
        historyDetailDays = try settings.integer(Key.detail)
        historyFlushInterval = TimeInterval(try settings.integer(Key.flush))
        perCameraMetrics = try settings.flag(Key.perCamera)
    }
}
