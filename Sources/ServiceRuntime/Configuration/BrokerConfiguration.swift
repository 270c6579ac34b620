import Foundation

/// How the services reach the broker: an external one by URL, or the private mosquitto `serve`
/// starts on loopback (port, binary and config template).
package struct BrokerConfiguration: Sendable, Equatable {
    /// `mqtt://host:port` or `mqtts://host:port`; `nil` with `serve` = start a private mosquitto.
    package var url: String?
    /// Port of the private mosquitto (loopback only), or of a broker on this host without a URL.
    package var port = 1883
    package var username: String?
    package var password: String?
    /// CA file for `mqtts://`.
    package var caFile: String?
    /// Skip TLS host-name verification (tests only).
    package var insecure = false
    /// Template for the private broker's config (`{{PORT}}`, `{{DATA}}`, `{{USER}}`).
    package var mosquittoConfig = "mosquitto/private.conf"
    /// mosquitto executable; `nil` = search PATH and /usr/sbin.
    package var mosquittoBinary: String?
    /// The private broker's TLS listener for remote probers and tools (`nil` = none), with its
    /// address and PEM certificate chain and key.
    package var tlsPort: Int?
    package var tlsHost = "0.0.0.0"
    package var tlsCertificate: String?
    package var tlsKey: String?

    package init() {}

    /// The endpoint the services connect to: the URL's broker, else `127.0.0.1:port`.
    /// - Throws: ``SettingsError`` when the URL is not `mqtt(s)://host[:port]`.
    package func endpoint() throws(SettingsError) -> BrokerEndpoint {
        guard let url else { return BrokerEndpoint(host: "127.0.0.1", port: port, username: username, password: password) }
        var endpoint = try BrokerEndpoint.parse(url)
        endpoint.username = username ?? endpoint.username
        endpoint.password = password ?? endpoint.password
        endpoint.caFile = caFile
        endpoint.insecure = insecure
        return endpoint
    }
}

extension BrokerConfiguration {
    enum Key {
        static let defaults = BrokerConfiguration()
        static let url = SettingKey.text("broker.url", "external broker mqtt://host:port (mqtts:// for TLS); empty with `serve` = start a private mosquitto")
        static let port = SettingKey.integer("broker.port", default: defaults.port, in: 1...65_535, "port of the private mosquitto started by `serve` (loopback only)")
        static let username = SettingKey.text("broker.username", "MQTT username")
        static let password = SettingKey.text("broker.password", secret: true, "MQTT password (give it in the environment or config file, not as a flag: flags show in ps)")
        static let caFile = SettingKey.text("broker.ca-file", "CA file for mqtts://")
        static let insecure = SettingKey.flag("broker.insecure", default: defaults.insecure, "skip TLS host-name verification (tests only)")
        static let mosquittoConfig = SettingKey.text("mosquitto.config", default: defaults.mosquittoConfig, "template for the private broker's config ({{PORT}}, {{DATA}})")
        static let mosquittoBinary = SettingKey.text("mosquitto.binary", "mosquitto executable; empty = search PATH and /usr/sbin")
        static let tlsPort = SettingKey.integer("mosquitto.tls-port", default: 0, in: 0...65_535, "port of the private broker's TLS listener for remote probers and tools (0 = none)")
        static let tlsHost = SettingKey.text("mosquitto.tls-host", default: defaults.tlsHost, "address of the private broker's TLS listener")
        static let tlsCertificate = SettingKey.text("mosquitto.tls-cert", "PEM certificate chain of the private broker's TLS listener")
        static let tlsKey = SettingKey.text("mosquitto.tls-key", "PEM private key of the private broker's TLS listener")
    }

    /// The `broker.*` and `mosquitto.*` keys.
    package static let keys: [SettingKey] = [Key.url, Key.port, Key.username, Key.password, Key.caFile, Key.insecure, Key.mosquittoConfig, Key.mosquittoBinary,
                                            Key.tlsPort, Key.tlsHost, Key.tlsCertificate, Key.tlsKey]

    /// Reads the broker keys once; the URL is checked here so a typo fails at start.
    package init(settings: Settings) throws(SettingsError) {
        self.init()
        url = settings.text(Key.url)
        if let url { _ = try BrokerEndpoint.parse(url) }
        port = try settings.integer(Key.port)
        username = settings.text(Key.username)
        password = settings.text(Key.password)
        caFile = settings.text(Key.caFile)
        insecure = try settings.flag(Key.insecure)
        mosquittoConfig = settings.raw(Key.mosquittoConfig)
        mosquittoBinary = settings.text(Key.mosquittoBinary)
        let tls = try settings.integer(Key.tlsPort)
        tlsPort = tls == 0 ? nil : tls
        tlsHost = settings.raw(Key.tlsHost)
        tlsCertificate = settings.text(Key.tlsCertificate)
        tlsKey = settings.text(Key.tlsKey)
        if tlsPort != nil, tlsCertificate == nil || tlsKey == nil {
            throw .invalid(key: Key.tlsPort.name, value: String(tls), expected: "mosquitto.tls-cert and mosquitto.tls-key (PEM files) with it")
        }
    }
}
