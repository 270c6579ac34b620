import Foundation
import ServiceRuntime

/// Everything the gateway is told: where it listens, HTTPS, browser sessions, which monitoring
/// routes are open, when it gives up on a connection or a registry answer, where the dashboard's
/// files and Chart.js come from, how long history is kept, and whether /metrics carries per-camera series.
package struct GatewayConfiguration: Sendable, Equatable {
    /// Listen address. Loopback by default: with HTTPS configured, `0.0.0.0` serves the control
    /// room's network (README "Where the gateway listens").
    package var host = "127.0.0.1"
    /// Listen port (0 = any free port, for tests).
    package var port = 8080
    /// PEM certificate chain and private key: both set = HTTPS.
    package var tlsCertificate: String?
    package var tlsKey: String?
    /// `Secure` on the session cookie; `nil` = on with HTTPS (`true` behind a TLS proxy).
    package var secureCookies: Bool?
    /// Minutes a browser session may stay unused.
    package var sessionIdleMinutes: Double = 480
    /// Hours after sign-in a browser session ends, used or not.
    package var sessionMaxHours: Double = 168
    /// `/healthz` without a credential.
    package var openHealth = true
    /// `/metrics` without a credential.
    package var openMetrics = false
    /// Seconds before a connection that sends nothing (idle keep-alive, half-open, a request head
    /// that never completes) is closed.
    package var idleTimeout = 60
    /// Seconds a REST change waits for the registry before it is answered 202 pending.
    package var commandTimeout: Double = 10

    /// Serve the dashboard's files from this folder, read on every request (development); nil = the files built in.
    package var staticDir: String?
    /// Chart.js (Debian's libjs-chart.js), served at `/vendor/chart.js/`.
    package var chartDir = "/usr/share/javascript/chart.js"
    /// Days of state changes (availability, SLA) and 4-hour chart buckets kept.
    package var historyRetentionDays = 31
    /// Days of 15-minute chart buckets kept (hourly ones: 8 days).
    package var historyDetailDays = 2
    /// Seconds between writes of the summed check measurements.
    package var historyFlushInterval: TimeInterval = 300
    /// Per-camera series on /metrics (up, RTT, loss, HLS latency).
    package var perCameraMetrics = true
    /// The prober's default check interval (cameras without their own), for "stalled"; set from the prober's configuration.
    package var defaultCheckInterval: TimeInterval = 60

    package init() {}

    /// The history's retention.
    package var retention: HistoryStore.Retention {
        HistoryStore.Retention(detailDays: historyDetailDays, hourlyDays: 8, days: historyRetentionDays)
    }

    /// Whether the gateway serves HTTPS.
    package var https: Bool { tlsCertificate != nil }

    /// Whether `host` is reachable from other machines.
    package var listensBeyondLoopback: Bool {
        !(host == "127.0.0.1" || host == "::1" || host == "localhost" || host.hasPrefix("127."))
    }

    /// The access options, with `publicURL`'s origin accepted on state changes (behind a proxy).
    package func accessOptions(publicURL: String) -> AccessControl.Options {
        var options = AccessControl.Options()
        options.idleTimeout = sessionIdleMinutes * 60
        options.absoluteTimeout = sessionMaxHours * 3600
        options.secureCookies = secureCookies ?? https
        options.openHealth = openHealth
        options.openMetrics = openMetrics
        if let url = URL(string: publicURL), let scheme = url.scheme, let host = url.host {
            options.trustedOrigins = ["\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "")]
        }
        return options
    }
}

extension GatewayConfiguration {
    enum Key {
        static let d = GatewayConfiguration()
        static let host = SettingKey.text("http.host", default: d.host, "gateway listen address (0.0.0.0 for every interface: with http.tls-cert/key, see README production)")
        static let port = SettingKey.integer("http.port", default: d.port, in: 0...65_535, "gateway port (dashboard, REST, /metrics)")
        static let tlsCertificate = SettingKey.text("http.tls-cert", "PEM certificate chain: with http.tls-key the gateway serves HTTPS")
        static let tlsKey = SettingKey.text("http.tls-key", "PEM private key for http.tls-cert")
        static let secureCookies = SettingKey.text("http.secure-cookies", default: "auto", "Secure flag on the session cookie: auto (on with HTTPS), true (behind a TLS proxy), false")
        static let sessionIdle = SettingKey.number("http.session-idle", default: d.sessionIdleMinutes, in: 1...10_080, "minutes a browser session may stay unused before it ends")
        static let sessionMax = SettingKey.number("http.session-max", default: d.sessionMaxHours, in: 1...8_760, "hours after sign-in a browser session ends, used or not")
        static let openHealth = SettingKey.flag("http.open-healthz", default: d.openHealth, "serve /healthz without a credential (liveness probes)")
        static let openMetrics = SettingKey.flag("http.open-metrics", default: d.openMetrics, "serve /metrics without a credential (else a viewer API token)")
        static let idleTimeout = SettingKey.integer("http.idle-timeout", default: d.idleTimeout, in: 1...86_400,
                                                    "seconds before the gateway closes a connection that sends nothing (idle keep-alive, half-open, a request head that never completes)")
        static let commandTimeout = SettingKey.number("http.command-timeout", default: d.commandTimeout, in: 0.1...300,
                                                      "seconds a REST change waits for the registry; after that it is answered 202 pending with a command id to poll (GET /api/commands/{id})")
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
    package static let keys: [SettingKey] = [Key.host, Key.port, Key.tlsCertificate, Key.tlsKey, Key.secureCookies, Key.sessionIdle, Key.sessionMax,
                                            Key.openHealth, Key.openMetrics, Key.idleTimeout, Key.commandTimeout,
                                            Key.staticDir, Key.chartDir, Key.retention, Key.detail, Key.flush, Key.perCamera]

    /// Reads the gateway's keys once.
    package init(settings: Settings) throws(SettingsError) {
        self.init()
        host = settings.raw(Key.host)
        port = try settings.integer(Key.port)
        tlsCertificate = settings.text(Key.tlsCertificate)
        tlsKey = settings.text(Key.tlsKey)
        guard (tlsCertificate == nil) == (tlsKey == nil) else {
            throw .invalid(key: tlsCertificate == nil ? Key.tlsCertificate.name : Key.tlsKey.name, value: "", expected: "http.tls-cert and http.tls-key together (PEM files)")
        }
        for (key, path) in [(Key.tlsCertificate, tlsCertificate), (Key.tlsKey, tlsKey)] {
            if let path, !FileManager.default.isReadableFile(atPath: path) { throw .invalid(key: key.name, value: path, expected: "a readable PEM file") }
        }
        switch settings.raw(Key.secureCookies).lowercased() {
        case "auto", "": secureCookies = nil
        case "true", "1", "yes", "on": secureCookies = true
        case "false", "0", "no", "off": secureCookies = false
        case let other: throw .invalid(key: Key.secureCookies.name, value: other, expected: "auto, true or false")
        }
        sessionIdleMinutes = try settings.number(Key.sessionIdle)
        sessionMaxHours = try settings.number(Key.sessionMax)
        openHealth = try settings.flag(Key.openHealth)
        openMetrics = try settings.flag(Key.openMetrics)
        idleTimeout = try settings.integer(Key.idleTimeout)
        commandTimeout = try settings.number(Key.commandTimeout)
        staticDir = settings.text(Key.staticDir)
        chartDir = settings.raw(Key.chartDir)
        historyRetentionDays = try settings.integer(Key.retention)
        historyDetailDays = try settings.integer(Key.detail)
        historyFlushInterval = TimeInterval(try settings.integer(Key.flush))
        perCameraMetrics = try settings.flag(Key.perCamera)
    }
}
