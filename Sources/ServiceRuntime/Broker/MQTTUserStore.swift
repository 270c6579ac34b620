import Foundation

/// MQTT accounts of other tools (`cctv-out mqtt-users`), in `{data-dir}/mqtt-users.json` (mode 0600):
/// name, role and the mosquitto password hash — never the password. `serve` adds them to its
/// private broker's password and ACL files, and notices a change within seconds.
package struct MQTTUserStore: Sendable {
    package struct Entry: Codable, Sendable, Equatable {
        package var name: String
        package var role: BrokerRole
        package var hash: String
        package var createdAt: Date
    }

    package let path: String

    package init(dataDir: String) {
        path = URL(fileURLWithPath: dataDir).appendingPathComponent("mqtt-users.json").path
    }

    /// Every tool account (empty when the file does not exist).
    package func entries() throws -> [Entry] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do { return try decoder.decode([Entry].self, from: data) } catch { throw MQTTUserError.unreadable(path) }
    }

    /// Adds or replaces an account.
    /// - Throws: ``MQTTUserError`` for a bad name, a name a service uses, or a short password.
    package func put(name: String, role: BrokerRole, password: String, reserved: Set<String>) throws {
        guard BrokerACL.isValidName(name) else { throw MQTTUserError.invalidName(name) }
        guard !reserved.contains(name) else { throw MQTTUserError.reserved(name) }
        guard BrokerRole.forTools.contains(role) else { throw MQTTUserError.invalidRole(role.rawValue) }
        guard password.count >= 12 else { throw MQTTUserError.weakPassword }
        var all = try entries().filter { $0.name != name }
        all.append(Entry(name: name, role: role, hash: try MosquittoPasswordFile.hash(password), createdAt: Date()))
        try save(all.sorted { $0.name < $1.name })
    }

    /// Removes an account. - Returns: whether it existed.
    @discardableResult
    package func remove(name: String) throws -> Bool {
        let all = try entries()
        guard all.contains(where: { $0.name == name }) else { return false }
        try save(all.filter { $0.name != name })
        return true
    }

    func save(_ entries: [Entry]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try DataFolder.prepare((path as NSString).deletingLastPathComponent)
        try PrivateFile.write(try encoder.encode(entries), to: path)
    }
}

/// Why an MQTT account change was refused.
package enum MQTTUserError: Error, CustomStringConvertible, Sendable {
    case invalidName(String)
    case reserved(String)
    case invalidRole(String)
    case weakPassword
    case unreadable(String)

    package var description: String {
        switch self {
        case let .invalidName(name): "MQTT account name \(name.prefix(80).debugDescription) is invalid: 1–64 letters, digits, '.', '_' or '-'"
        case let .reserved(name): "\(name) is a service's own account"
        case let .invalidRole(role): "role \(role) is not for tools: use integration, reader or prober"
        case .weakPassword: "the password must be at least 12 characters"
        case let .unreadable(path): "\(path) is not a list of MQTT accounts written by cctv-out"
        }
    }
}
