import Foundation
import MQTTBus

/// Where the broker is and how to log in, parsed from `mqtt://host:port` / `mqtts://host:port`.
package struct BrokerEndpoint: Sendable, Equatable {
    package var host: String
    package var port: Int
    package var useTLS: Bool
    package var username: String?
    package var password: String?
    package var caFile: String?
    package var insecure: Bool
    /// Per-service accounts (account name = client id → password), as `serve` makes them for its
    /// private broker; a service without an entry uses ``username``/``password``.
    package var servicePasswords: [String: String] = [:]

    package init(host: String, port: Int, useTLS: Bool = false, username: String? = nil, password: String? = nil, caFile: String? = nil,
                insecure: Bool = false, servicePasswords: [String: String] = [:]) {
        self.host = host; self.port = port; self.useTLS = useTLS; self.username = username; self.password = password
        self.caFile = caFile; self.insecure = insecure; self.servicePasswords = servicePasswords
    }

    /// Parses `mqtt://[user[:password]@]host[:port]` or `mqtts://…` (prefer `broker.password` in the
    /// environment or config file: a password in the URL shows in `ps` when given as a flag).
    package static func parse(_ url: String) throws(SettingsError) -> BrokerEndpoint {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "mqtt" || scheme == "mqtts", let host = components.host, !host.isEmpty else {
            throw .invalid(key: "broker.url", value: url, expected: "mqtt://host:port or mqtts://host:port")
        }
        let tls = scheme == "mqtts"
        return BrokerEndpoint(host: host, port: components.port ?? (tls ? 8883 : 1883), useTLS: tls,
                              username: components.user, password: components.password)
    }

    /// An MQTT client configuration for one service of one instance. On a broker with a
    /// configured ``username`` (compose, an external broker), a service's publishing connection
    /// (``ServiceConnection/outbox``) logs in as `{username}-out` with the same password: two
    /// accounts, so a broker with `use_username_as_clientid` keeps both connections and its ACL
    /// gives each exactly its topics (`cctv-out mqtt-users acl` writes both).
    /// - Parameter account: the account to log in as when it is not the client id (several probers
    ///   share their service's account, each with its own client id).
    package func clientConfiguration(clientID: String, account: String? = nil, connection: ServiceConnection? = nil, will: MQTTConfiguration.Will?) -> MQTTConfiguration {
        // Subscriptions keep MQTTBus's bounded buffers (1,000 messages, then back-pressure). A
        // 100,000-camera import used to lose 72,941 configs in the gateway's drop-oldest buffer,
        // which was then raised to 250,000 messages; now the burst waits in the broker's session.
        let login = account ?? clientID
        let own = servicePasswords[login]
        return MQTTConfiguration(
            host: host, port: port, clientID: clientID, username: own == nil ? username.map { connection == .outbox ? $0 + "-out" : $0 } : login,
            password: own ?? password,
            tls: useTLS ? .init(caFile: caFile, insecure: insecure) : nil, will: will,
            // A publishing connection keeps up to this many QoS 1 messages in flight (the broker's
            // `max_inflight_messages` caps it): a bulk publish (an import's 200,000 messages) waits
            // for a broker round trip per this many, not per 100.
            sendMaximum: connection == .outbox ? Self.outboxSendMaximum : 100)
    }

    /// QoS 1 messages a publishing connection keeps in flight (see ``clientConfiguration(clientID:account:connection:will:)``).
    package static let outboxSendMaximum = 1_000
}
