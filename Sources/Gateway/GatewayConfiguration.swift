import Foundation
import ServiceRuntime

/// Everything the gateway is told: where it listens, when it gives up on a connection or a
/// registry answer.
public struct GatewayConfiguration: Sendable, Equatable {
    /// Listen address.
    public var host = "0.0.0.0"
    /// Listen port (0 = any free port, for tests).
    public var port = 8080
    /// Seconds before a connection that sends nothing (idle keep-alive, half-open, a request head
    /// that never completes) is closed.
    public var idleTimeout = 60
    /// Seconds a REST change waits for the registry before it is answered 202 pending.
    public var commandTimeout: Double = 10

    public init() {}
}

extension GatewayConfiguration {
    enum Key {
        static let d = GatewayConfiguration()
        static let host = SettingKey.text("http.host", default: d.host, "gateway listen address")
        static let port = SettingKey.integer("http.port", default: d.port, in: 0...65_535, "gateway port (dashboard, REST, /metrics)")
        static let idleTimeout = SettingKey.integer("http.idle-timeout", default: d.idleTimeout, in: 1...86_400,
                                                    "seconds before the gateway closes a connection that sends nothing (idle keep-alive, half-open, a request head that never completes)")
        static let commandTimeout = SettingKey.number("http.command-timeout", default: d.commandTimeout, in: 0.1...300,
                                                      "seconds a REST change waits for the registry; after that it is answered 202 pending with a command id to poll (GET /api/commands/{id})")
    }

    /// The `http.*` keys of the gateway (`http.public-url` is shared: ``RuntimeConfiguration``).
    public static let keys: [SettingKey] = [Key.host, Key.port, Key.idleTimeout, Key.commandTimeout]

    /// Reads the gateway's keys once.
    public init(settings: Settings) throws(SettingsError) {
        self.init()
        host = settings.raw(Key.host)
        port = try settings.integer(Key.port)
        idleTimeout = try settings.integer(Key.idleTimeout)
        commandTimeout = try settings.number(Key.commandTimeout)
    }
}
