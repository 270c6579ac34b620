import Foundation
import ServiceRuntime

/// Everything the gateway is told: where it listens.
public struct GatewayConfiguration: Sendable, Equatable {
    /// Listen address.
    public var host = "0.0.0.0"
    /// Listen port (0 = any free port, for tests).
    public var port = 8080

    public init() {}
}

extension GatewayConfiguration {
    enum Key {
        static let d = GatewayConfiguration()
        static let host = SettingKey.text("http.host", default: d.host, "gateway listen address")
        static let port = SettingKey.integer("http.port", default: d.port, in: 0...65_535, "gateway port (dashboard, REST, /metrics)")
    }

    /// The `http.*` keys of the gateway (`http.public-url` is shared: ``RuntimeConfiguration``).
    public static let keys: [SettingKey] = [Key.host, Key.port]

    /// Reads the gateway's keys once.
    public init(settings: Settings) throws(SettingsError) {
        self.init()
        host = settings.raw(Key.host)
        port = try settings.integer(Key.port)
    }
}
