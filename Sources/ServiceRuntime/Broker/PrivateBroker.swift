import CCTVContract
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The mosquitto `serve` starts for itself: config from the template in `mosquitto/`, store in
/// the data folder, loopback only, and locked down — no anonymous clients, one account per service
/// with a fresh random password on every start (kept only in this process; the broker gets a
/// PBKDF2 hash), an ACL that gives each account exactly its topics, the tools' accounts of
/// `cctv-out mqtt-users` added, and optionally a TLS listener for remote probers and tools.
///
/// As a `Service`, it watches `mqtt-users.json` and reloads the broker (SIGHUP) when it changes.
/// ``stop()`` ends the broker (SIGTERM, so it saves its store) after the services stopped.
public final class PrivateBroker: Service, Sendable {
    public let port: Int
    /// The TLS listener's port, when one was configured.
    public let tlsPort: Int?
    /// Password of each service account (account name = the service's client id), for its connection.
    public let servicePasswords: [String: String]
    let services: [BrokerAccount]
    let serviceHashes: [(name: String, hash: String)]
    let topics: Topics
    let folder: URL
    let tools: MQTTUserStore
    let process: ChildProcess
    let logger: Logger
    private let toolsModified = Mutex<Date?>(nil)

    /// Starts mosquitto and waits until it accepts connections.
    /// - Parameters:
    ///   - configuration: port, binary, config template and TLS listener of the private broker.
    ///   - dataDir: the installation's data folder; the store, password file and ACL go in its `mosquitto/` folder.
    ///   - topics: the installation's topics (the ACL names them, with the topic root).
    ///   - services: the accounts of the services this process runs.
    /// - Throws: ``PrivateBrokerError`` naming the apt package when mosquitto is missing.
    public init(configuration: BrokerConfiguration, dataDir installation: String, topics: Topics, services: [BrokerAccount], logger: Logger) throws {
        self.logger = logger
        self.services = services
        self.topics = topics
        port = configuration.port
        tlsPort = configuration.tlsPort
        guard let binary = Self.findBinary(configuration.mosquittoBinary) else { throw PrivateBrokerError.notInstalled }
        tools = MQTTUserStore(dataDir: installation)
        let dataDir = URL(fileURLWithPath: installation).standardizedFileURL.appendingPathComponent("mosquitto")
        folder = dataDir
        try DataFolder.prepare(dataDir.path)
        let template = (try? String(contentsOfFile: configuration.mosquittoConfig, encoding: .utf8)) ?? Self.defaultTemplate
        if LoopbackPort.isListening(port) { throw PrivateBrokerError.portBusy(port) }

        var passwords: [String: String] = [:]
        var hashes: [(name: String, hash: String)] = []
        for account in services {
            let password = MosquittoPasswordFile.randomPassword()
            passwords[account.name] = password
            hashes.append((account.name, try MosquittoPasswordFile.hash(password)))
        }
        servicePasswords = passwords
        serviceHashes = hashes
        try Self.writeAccounts(services: services, serviceHashes: hashes, tools: tools, topics: topics, folder: dataDir)

        let user = String(cString: getpwuid(geteuid())?.pointee.pw_name ?? strdup("root"))
        var config = template.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("allow_anonymous") }
            .joined(separator: "\n")
            .replacingOccurrences(of: "{{PORT}}", with: "\(port)")
            .replacingOccurrences(of: "{{DATA}}", with: dataDir.path)
            .replacingOccurrences(of: "{{USER}}", with: user)
        config += Self.securityBlock(folder: dataDir.path)
        if let tlsPort {
            guard let certificate = configuration.tlsCertificate, let key = configuration.tlsKey else {
                throw SettingsError.invalid(key: "mosquitto.tls-cert", value: "", expected: "mosquitto.tls-cert and mosquitto.tls-key (PEM files) with mosquitto.tls-port")
            }
            config += "\n# TLS for remote probers and tools (the same accounts and ACL).\nlistener \(tlsPort) \(configuration.tlsHost)\n"
            config += "certfile \(certificate)\nkeyfile \(key)\ntls_version tlsv1.2\n"
        }
        let configFile = dataDir.appendingPathComponent("mosquitto.conf")
        try PrivateFile.write(Data(config.utf8), to: configFile.path)
        let logFile = dataDir.appendingPathComponent("mosquitto.log").path
        process = try ChildProcess(executable: binary, arguments: ["-c", configFile.path], logFile: logFile)
        let deadline = Date().addingTimeInterval(10)
        while !LoopbackPort.isListening(port) {
            if !process.isRunning || Date() > deadline {
                process.stop(timeout: 1)
                let tail = (try? String(contentsOfFile: logFile, encoding: .utf8))?.split(separator: "\n").suffix(5).joined(separator: "\n") ?? ""
                throw PrivateBrokerError.didNotStart(port: port, log: tail)
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        toolsModified.withLock { $0 = DataFolder.modificationDate(of: tools.path) }
        logger.info("private mosquitto started", metadata: ["port": "\(port)", "tls-port": "\(tlsPort.map(String.init) ?? "-")",
                                                            "binary": "\(binary)", "store": "\(dataDir.path)", "accounts": "\(services.count)"])
    }

    /// Watches the tools' accounts until shutdown; a change rewrites the password and ACL files and
    /// makes mosquitto reload them.
    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: .seconds(2))
            let modified = DataFolder.modificationDate(of: tools.path)
            guard modified != toolsModified.withLock({ $0 }) else { continue }
            toolsModified.withLock { $0 = modified }
            reloadAccounts()
        }
    }

    /// Rewrites the password and ACL files and sends mosquitto SIGHUP (it re-reads both).
    public func reloadAccounts() {
        do {
            try Self.writeAccounts(services: services, serviceHashes: serviceHashes, tools: tools, topics: topics, folder: folder)
            process.send(SIGHUP)
            logger.notice("MQTT accounts reloaded", metadata: ["tools": "\((try? tools.entries().count) ?? 0)"])
        } catch {
            logger.error("could not reload the MQTT accounts", metadata: ["error": "\(error)"])
        }
    }

    /// Stops the broker cleanly (it saves its store).
    public func stop() {
        process.stop(timeout: 10)
        logger.info("private mosquitto stopped")
    }

    static func writeAccounts(services: [BrokerAccount], serviceHashes: [(name: String, hash: String)], tools: MQTTUserStore,
                              topics: Topics, folder: URL) throws {
        let toolEntries = try tools.entries().filter { entry in !services.contains { $0.name == entry.name } }
        let hashes = serviceHashes + toolEntries.map { ($0.name, $0.hash) }
        let accounts = services + toolEntries.map { BrokerAccount(name: $0.name, role: $0.role) }
        try PrivateFile.write(Data(MosquittoPasswordFile.render(hashes).utf8), to: folder.appendingPathComponent("passwd").path)
        try PrivateFile.write(Data(BrokerACL.render(accounts, topics: topics).utf8), to: folder.appendingPathComponent("acl").path)
    }

    /// Appended to every config: accounts and the ACL apply to every listener; a client id is its
    /// account's name, so no client can take over a service's session.
    static func securityBlock(folder: String) -> String {
        """

        # Added by cctv-out serve: locked down (no anonymous clients, one account per service and tool).
        per_listener_settings false
        allow_anonymous false
        password_file \(folder)/passwd
        acl_file \(folder)/acl
        use_username_as_clientid true

        """
    }

    static func findBinary(_ configured: String?) -> String? {
        if let configured { return FileManager.default.isExecutableFile(atPath: configured) ? configured : nil }
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for directory in path + ["/usr/sbin", "/usr/local/sbin", "/sbin"] {
            let candidate = "\(directory)/mosquitto"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static let defaultTemplate = """
        user {{USER}}
        listener {{PORT}} 127.0.0.1
        persistence true
        persistence_location {{DATA}}/
        autosave_interval 30
        max_queued_messages 200000
        persistent_client_expiration 7d
        log_dest stdout
        """
}

/// Why the private broker could not start.
public enum PrivateBrokerError: Error, CustomStringConvertible {
    case notInstalled
    case portBusy(Int)
    case didNotStart(port: Int, log: String)

    public var description: String {
        switch self {
        case .notInstalled:
            "mosquitto is not installed: run `sudo apt-get install mosquitto` (or give --broker-url mqtt://host:port to use an external broker)"
        case let .portBusy(port):
            "port \(port) on 127.0.0.1 is already in use: another broker is running? Use --broker-port N, or --broker-url mqtt://127.0.0.1:\(port) to use it"
        case let .didNotStart(port, log):
            "mosquitto did not start listening on 127.0.0.1:\(port). Its log says:\n\(log)"
        }
    }
}
