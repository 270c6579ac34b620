import ServiceRuntime

/// The registry's options: whether this process is one of several registry replicas.
package struct RegistryConfiguration: Sendable {
    /// This process's replica name when several registry processes share one PostgreSQL store
    /// (README "Registry replicas"); `nil` = the only registry (a persistent session that keeps
    /// commands while it restarts).
    package var replica: String?

    package init() {}

    /// Whether commands are shared with other replicas (MQTT shared subscriptions, each command to one).
    package var isReplica: Bool { replica != nil }

    /// The session name on the broker: `registry-{replica}` for a replica, else `registry`.
    package var busName: String { replica.map { "registry-\($0)" } ?? "registry" }

    /// The share group every replica subscribes to its command topics in.
    static let shareGroup = "registry"

    /// `filter` as this registry subscribes to it: shared by the replicas, or as it is.
    func subscription(_ filter: String) -> String {
        isReplica ? "$share/\(Self.shareGroup)/\(filter)" : filter
    }

    /// Replicas must share their store: each on its own SQLite file would each hold another fleet.
    package struct SharedStoreRequired: Error, CustomStringConvertible {
        package var replica: String
        package var description: String {
            "registry replica \(replica) needs the PostgreSQL store every replica shares (--database postgres://…); "
                + "with SQLite run one registry without --registry-replica"
        }
    }

    enum Key {
        static let replica = SettingKey.text("registry.replica",
                                             "this registry's replica name (letters, digits, . - _; at most 32) when several registry processes share one PostgreSQL store (--database): each command is then answered by one of them; unset = the only registry")
    }

    /// The `registry.*` keys.
    package static let keys: [SettingKey] = [Key.replica]

    /// Reads the `registry.*` keys once.
    /// - Throws: ``SettingsError`` naming the key and what it accepts.
    package init(settings: Settings) throws(SettingsError) {
        self.init()
        if let text = settings.text(Key.replica) {
            guard text.count <= 32, BrokerACL.isValidName(text) else {
                throw .invalid(key: Key.replica.name, value: text, expected: "1 to 32 of A-Z a-z 0-9 . - _")
            }
            replica = text
        }
    }
}
