import Foundation
import ServiceRuntime

/// Everything the gateway is told: where it listens, HTTPS, browser sessions, which monitoring
/// routes are open, and when it gives up on a connection or a registry answer.
public struct GatewayConfiguration: Sendable, Equatable {
    /// Listen address. Loopback by default: with HTTPS configured, `0.0.0.0` serves the control
    /// room's network (README "Where the gateway listens").
    public var host = "127.0.0.1"
    /// Listen port (0 = any free port, for tests).
    public var port = 8080
    /// PEM certificate chain and private key: both set = HTTPS.
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// `Secure` on the session cookie; `nil` = on with HTTPS (`true` behind a TLS proxy).
    public var secureCookies: Bool?
    /// Minutes a browser session may stay unused.
    public var sessionIdleMinutes: Double = 480
    /// Hours after sign-in a browser session ends, used or not.
    public var sessionMaxHours: Double = 168
    /// `/healthz` without a credential.
    public var openHealth = true
    /// `/metrics` without a credential.
    public var openMetrics = false
    /// Seconds before a connection that sends nothing (idle keep-alive, half-open, a request head
    /// that never completes) is closed.
    public var idleTimeout = 60
    /// Seconds a REST change waits for the registry before it is answered 202 pending.
    public var commandTimeout: Double = 10

    public init() {}

    /// Whether the gateway serves HTTPS.
    public var https: Bool { tlsCertificate != nil }

    /// Whether `host` is reachable from other machines.
    public var listensBeyondLoopback: Bool {
        !(host == "127.0.0.1" || host == "::1" || host == "localhost" || host.hasPrefix("127."))
    }

    /// The access options, with `publicURL`'s origin accepted on state changes (behind a proxy).
    public func accessOptions(publicURL: String) -> AccessControl.Options {
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
    }

    /// The `http.*` keys of the gateway (`http.public-url` is shared: ``RuntimeConfiguration``).
    public static let keys: [SettingKey] = [Key.host, Key.port, Key.tlsCertificate, Key.tlsKey, Key.secureCookies, Key.sessionIdle, Key.sessionMax,
                                            Key.openHealth, Key.openMetrics, Key.idleTimeout, Key.commandTimeout]

    /// Reads the gateway's keys once.
    public init(settings: Settings) throws(SettingsError) {
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
    }
}
