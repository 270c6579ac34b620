import Foundation
import ServiceRuntime

/// The gateway's options, read once from ``Settings``: where it listens, HTTPS, sessions and
/// which monitoring routes are open.
public struct GatewayConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// PEM certificate chain and private key: both set = HTTPS.
    public var tlsCertificate: String?
    public var tlsKey: String?
    public var access: AccessControl.Options

    public var https: Bool { tlsCertificate != nil }

    /// Reads `http.*`.
    /// - Throws: ``SettingsError`` naming the key at fault.
    public init(settings: Settings) throws {
        host = settings["http.host"]
        port = try settings.int("http.port", in: 0...65_535)
        tlsCertificate = settings.string("http.tls-cert")
        tlsKey = settings.string("http.tls-key")
        guard (tlsCertificate == nil) == (tlsKey == nil) else {
            throw SettingsError.invalid(key: tlsCertificate == nil ? "http.tls-cert" : "http.tls-key", value: "",
                                        expected: "http.tls-cert and http.tls-key together (PEM files)")
        }
        for (key, path) in [("http.tls-cert", tlsCertificate), ("http.tls-key", tlsKey)] {
            if let path, !FileManager.default.isReadableFile(atPath: path) {
                throw SettingsError.invalid(key: key, value: path, expected: "a readable PEM file")
            }
        }
        var access = AccessControl.Options()
        access.idleTimeout = try settings.double("http.session-idle", in: 1...10_080) * 60
        access.absoluteTimeout = try settings.double("http.session-max", in: 1...8_760) * 3600
        switch settings["http.secure-cookies"].lowercased() {
        case "auto", "": access.secureCookies = tlsCertificate != nil
        default: access.secureCookies = try settings.bool("http.secure-cookies")
        }
        access.openHealth = try settings.bool("http.open-healthz")
        access.openMetrics = try settings.bool("http.open-metrics")
        if let publicURL = URL(string: settings["http.public-url"]), let scheme = publicURL.scheme, let publicHost = publicURL.host {
            access.trustedOrigins = ["\(scheme)://\(publicHost)" + (publicURL.port.map { ":\($0)" } ?? "")]
        }
        self.access = access
    }

    /// Whether `host` is reachable from other machines.
    public var listensBeyondLoopback: Bool {
        !(host == "127.0.0.1" || host == "::1" || host == "localhost" || host.hasPrefix("127."))
    }
}
