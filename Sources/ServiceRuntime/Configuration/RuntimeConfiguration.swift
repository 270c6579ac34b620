import Foundation

/// What every service of an installation shares: where its data lives, its name on the broker,
/// the topic prefix, the log level, the dashboard's public address and the broker itself.
package struct RuntimeConfiguration: Sendable, Equatable {
    /// Folder for every service's SQLite database and the private broker's store.
    package var dataDir = "./data"
    /// Instance name: MQTT client ids are `{instance}-{service}`.
    package var instance = "cctv-out"
    /// Optional prefix before every topic, so installations can share a broker.
    package var topicRoot = ""
    /// swift-log level name.
    package var logLevel = "info"
    /// The dashboard's address as people reach it; linked from every notification. Empty means
    /// "this machine's name and the gateway's port" (``dashboardAddress``).
    package var publicURL = ""
    /// The broker every service connects to (or the private one `serve` starts).
    package var broker = BrokerConfiguration()
    /// The shared PostgreSQL (`database` setting); `nil` = SQLite files in ``dataDir``.
    package var database: PostgresAddress?
    /// Where the services keep their data.
    package var databaseLocation: DatabaseLocation { database.map(DatabaseLocation.postgres) ?? .sqlite(directory: dataDir) }
    /// Address of this process's health endpoint (`GET /healthz`).
    package var healthHost = "127.0.0.1"
    /// Port of this process's health endpoint; 0 = none.
    package var healthPort = 0
    /// Where stream URLs may point (the registry checks them when entered, the prober before every
    /// request): link-local and cloud-metadata addresses are refused unless allowed.
    package var destinations = DestinationPolicy()
    /// How the monitor watches itself ("monitoring stalled", operators told, heartbeat).
    package var selfWatch = SelfWatchConfiguration()
    /// How long history is kept, in every store that holds it.
    package var retention = RetentionConfiguration()

    package init() {}
}

extension RuntimeConfiguration {
    enum Key {
        static let defaults = RuntimeConfiguration()
        static let dataDir = SettingKey.text("data-dir", default: defaults.dataDir, "folder for every service's SQLite database and the private broker's store")
        static let topicRoot = SettingKey.text("topic-root", "optional prefix before every topic, so installations can share a broker")
        static let instance = SettingKey.text("instance", default: defaults.instance, "instance name: MQTT client ids are {instance}-{service} (subscriptions) and {instance}-{service}-out (publishing)")
        static let logLevel = SettingKey.text("log.level", default: defaults.logLevel, "trace, debug, info, notice, warning, error, critical")
        static let publicURL = SettingKey.text("http.public-url",
                                               "the dashboard's address as recipients reach it, put into notifications and accepted as Origin behind a proxy (e.g. https://cctv.example.org); empty = http(s)://<the listen address, or this machine's name when it is 0.0.0.0>:<http.port>")
        static let database = SettingKey.text("database", secret: true,
                                              "empty = SQLite files in data-dir (one box); postgres://user:password@host:5432/db[?sslmode=require] = a PostgreSQL every machine shares")
        static let healthHost = SettingKey.text("health.host", default: defaults.healthHost,
                                                "address of this process's health endpoint (GET /healthz); 0.0.0.0 for a load balancer or orchestrator outside the host")
        static let healthPort = SettingKey.integer("health.port", default: defaults.healthPort, in: 0...65_535,
                                                   "port of this process's health endpoint: 200 when every service it runs is connected (or waits as a standby), 503 otherwise; 0 = none (`cctv-out health` asks it)")
        static let allowLinkLocal = SettingKey.flag("streams.allow-link-local", default: defaults.destinations.allowLinkLocal,
                                                    "allow stream URLs on link-local addresses (169.254.0.0/16, fe80::/10) and the cloud metadata address fd00:ec2::254")
    }

    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// The shared keys, the broker's among them.
    package static let keys: [SettingKey] = [Key.dataDir, Key.database] + BrokerConfiguration.keys
        + [Key.topicRoot, Key.instance, Key.logLevel, Key.publicURL, Key.allowLinkLocal, Key.healthHost, Key.healthPort]
        + SelfWatchConfiguration.keys + RetentionConfiguration.keys

    /// Reads the shared keys once.
    /// - Throws: ``SettingsError`` naming the key and what it accepts.
    package init(settings: Settings) throws(SettingsError) {
        self.init()
        dataDir = settings.raw(Key.dataDir)
        instance = settings.raw(Key.instance)
        guard !instance.isEmpty, instance.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw .invalid(key: Key.instance.name, value: instance, expected: "letters, digits, - and _")
        }
        topicRoot = settings.raw(Key.topicRoot)
        logLevel = settings.raw(Key.logLevel).lowercased()
        guard Self.logLevels.contains(logLevel) else {
            throw .invalid(key: Key.logLevel.name, value: logLevel, expected: Self.logLevels.joined(separator: ", "))
        }
        publicURL = settings.raw(Key.publicURL)
        if !publicURL.isEmpty {
            guard let components = URLComponents(string: publicURL), ["http", "https"].contains(components.scheme?.lowercased() ?? ""),
                  components.host?.isEmpty == false else {
                throw .invalid(key: Key.publicURL.name, value: publicURL, expected: "the dashboard's address as browsers reach it, e.g. https://cctv.example.org")
            }
        }
        broker = try BrokerConfiguration(settings: settings)
        database = try PostgresAddress.parse(settings.raw(Key.database), key: Key.database.name)
        healthHost = settings.raw(Key.healthHost)
        healthPort = try settings.integer(Key.healthPort)
        destinations = DestinationPolicy(allowLinkLocal: try settings.flag(Key.allowLinkLocal))
        selfWatch = try SelfWatchConfiguration(settings: settings)
        retention = try RetentionConfiguration(settings: settings)
    }
}

extension RuntimeConfiguration {
    /// The dashboard's address in notices: `publicURL` when set, else this machine's name (or the
    /// listen address when it is a specific one) with the gateway's port, so a changed port is
    /// never linked wrongly.
    package static func dashboardAddress(publicURL: String, listenHost: String, port: Int, https: Bool = false) -> String {
        if !publicURL.isEmpty { return publicURL }
        let host = ["", "0.0.0.0", "::", "[::]"].contains(listenHost) ? ProcessInfo.processInfo.hostName : listenHost
        return "\(https ? "https" : "http")://\(host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host):\(port)"
    }
}
