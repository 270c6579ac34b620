import CCTVContract
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The mosquitto `serve` starts for itself: config from the template in `mosquitto/`, store in
/// the data folder, loopback only.
///
/// - Locked down: no anonymous clients, one account per service with a fresh random password on
///   every start (kept only in this process; the broker gets a PBKDF2 hash), an ACL that gives each
///   account exactly its topics, the tools' accounts of `cctv-out mqtt-users` added, and optionally
///   a TLS listener for remote probers and tools. A change to `mqtt-users.json` rewrites the
///   password and ACL files and makes mosquitto reload them (SIGHUP).
/// - Supervised: ``run()`` restarts it with ``RestartBackoff`` whenever it dies (the services'
///   clients reconnect by themselves), and stops it (SIGTERM, so it saves its store) on
///   graceful shutdown, as the last step, after every service said `offline`.
/// - Crash-safe: it dies with `serve` (``ChildProcess`` `diesWithParent`), its pid is kept in
///   `{data}/mosquitto/mosquitto.pid`, and a stray one left by an earlier `serve` is found and
///   stopped before starting (``StrayBroker``), so the port is free again after a `kill -9`.
package final class PrivateBroker: Service, Sendable {
    package let port: Int
    /// The TLS listener's port, when one was configured.
    package let tlsPort: Int?
    /// Password of each service account (account name = the service's client id), for its connection.
    package let servicePasswords: [String: String]
    let setup: Setup
    let logger: Logger
    private let process: Mutex<ChildProcess>
    private let toolsModified = Mutex<Date?>(nil)
    private let restarts = Counter(label: "cctvout_broker_restarts_total")

    /// What a (re)start needs.
    struct Setup: Sendable {
        let binary: String
        let configFile: String
        let logFile: String
        let pidFile: String
        let folder: URL
        let services: [BrokerAccount]
        let serviceHashes: [(name: String, hash: String)]
        let topics: Topics
        let tools: MQTTUserStore
    }

    /// Writes the config, the password file and the ACL, stops a stray broker of this data folder,
    /// starts mosquitto and waits until it accepts connections.
    /// - Parameters:
    ///   - configuration: port, binary, config template and TLS listener of the private broker.
    ///   - dataDir: the installation's data folder; the store, password file and ACL go in its `mosquitto/` folder.
    ///   - topics: the installation's topics (the ACL names them, with the topic root).
    ///   - services: the accounts of the services this process runs.
    /// - Throws: ``PrivateBrokerError`` naming the apt package when mosquitto is missing, the
    ///   port when another program holds it, or the broker's own log when it does not start.
    package static func start(configuration: BrokerConfiguration, dataDir installation: String, topics: Topics,
                             services: [BrokerAccount], logger: Logger) async throws -> PrivateBroker {
        let port = configuration.port
        guard let binary = findBinary(configuration.mosquittoBinary) else { throw PrivateBrokerError.notInstalled }
        let tools = MQTTUserStore(dataDir: installation)
        let folder = URL(fileURLWithPath: installation).standardizedFileURL.appendingPathComponent("mosquitto")
        try DataFolder.prepare(folder.path)
        let template = (try? String(contentsOfFile: configuration.mosquittoConfig, encoding: .utf8)) ?? defaultTemplate

        var passwords: [String: String] = [:]
        var hashes: [(name: String, hash: String)] = []
        for account in services {
            let password = MosquittoPasswordFile.randomPassword()
            passwords[account.name] = password
            hashes.append((account.name, try MosquittoPasswordFile.hash(password)))
        }
        try writeAccounts(services: services, serviceHashes: hashes, tools: tools, topics: topics, folder: folder)

        let user = String(cString: getpwuid(geteuid())?.pointee.pw_name ?? strdup("root"))
        var config = template.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("allow_anonymous") }
            .joined(separator: "\n")
            .replacingOccurrences(of: "{{PORT}}", with: "\(port)")
            .replacingOccurrences(of: "{{DATA}}", with: folder.path)
            .replacingOccurrences(of: "{{USER}}", with: user)
        config += securityBlock(folder: folder.path)
        if let tlsPort = configuration.tlsPort {
            guard let certificate = configuration.tlsCertificate, let key = configuration.tlsKey else {
                throw SettingsError.invalid(key: "mosquitto.tls-cert", value: "", expected: "mosquitto.tls-cert and mosquitto.tls-key (PEM files) with mosquitto.tls-port")
            }
            config += "\n# TLS for remote probers and tools (the same accounts and ACL).\nlistener \(tlsPort) \(configuration.tlsHost)\n"
            config += "certfile \(certificate)\nkeyfile \(key)\ntls_version tlsv1.2\n"
        }
        let configFile = folder.appendingPathComponent("mosquitto.conf").path
        let pidFile = folder.appendingPathComponent("mosquitto.pid").path
        let logFile = folder.appendingPathComponent("mosquitto.log").path
        for stray in StrayBroker.find(configFile: configFile, pidFile: pidFile) {
            logger.warning("stopping a private mosquitto left running by an earlier serve", metadata: ["pid": "\(stray)", "config": "\(configFile)"])
            if !StrayBroker.stop(stray) {
                logger.error("could not stop the stray private mosquitto", metadata: ["pid": "\(stray)"])
            }
        }
        if LoopbackPort.isListening(port) { throw PrivateBrokerError.portBusy(port) }
        try PrivateFile.write(Data(config.utf8), to: configFile)
        let setup = Setup(binary: binary, configFile: configFile, logFile: logFile, pidFile: pidFile, folder: folder,
                          services: services, serviceHashes: hashes, topics: topics, tools: tools)
        let process = try await launch(setup, port: port)
        logger.info("private mosquitto started", metadata: ["port": "\(port)", "tls-port": "\(configuration.tlsPort.map(String.init) ?? "-")",
                                                            "pid": "\(process.pid)", "binary": "\(binary)", "store": "\(folder.path)",
                                                            "accounts": "\(services.count)"])
        return PrivateBroker(port: port, tlsPort: configuration.tlsPort, servicePasswords: passwords, setup: setup, process: process, logger: logger)
    }

    private init(port: Int, tlsPort: Int?, servicePasswords: [String: String], setup: Setup, process: ChildProcess, logger: Logger) {
        self.port = port; self.tlsPort = tlsPort; self.servicePasswords = servicePasswords; self.setup = setup
        self.process = Mutex(process); self.logger = logger
        toolsModified.withLock { $0 = DataFolder.modificationDate(of: setup.tools.path) }
    }

    /// The running broker's process id.
    package var pid: pid_t { process.withLock { $0.pid } }

    /// Starts mosquitto and waits (up to 10 s) until its port accepts connections.
    private static func launch(_ setup: Setup, port: Int) async throws -> ChildProcess {
        // On jemalloc too (HeapAllocator): its retained topics are most of its memory at 100,000 cameras.
        let process = try ChildProcess(executable: setup.binary, arguments: ["-c", setup.configFile], logFile: setup.logFile, diesWithParent: true,
                                       environment: HeapAllocator.preloadEnvironment)
        try? "\(process.pid)\n".write(toFile: setup.pidFile, atomically: true, encoding: .utf8)
        let deadline = ContinuousClock.now.advanced(by: .seconds(10))
        while !LoopbackPort.isListening(port) {
            if !process.isRunning || ContinuousClock.now > deadline {
                process.stop(timeout: 1)
                throw PrivateBrokerError.didNotStart(port: port, log: logTail(setup.logFile))
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process
    }

    /// Until graceful shutdown: restarts the broker whenever it dies, and reloads the accounts when
    /// the tools' account file changes (checked every 2 s); then stops the broker.
    package func run() async throws {
        var backoff = RestartBackoff()
        var startedAt = ContinuousClock.now
        var toolsCheckedAt = ContinuousClock.now
        await withGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                if ContinuousClock.now - toolsCheckedAt >= .seconds(2) {
                    toolsCheckedAt = ContinuousClock.now
                    let modified = DataFolder.modificationDate(of: setup.tools.path)
                    if modified != toolsModified.withLock({ $0 }) {
                        toolsModified.withLock { $0 = modified }
                        reloadAccounts()
                    }
                }
                let current = process.withLock { $0 }
                if current.isRunning {
                    try? await Task.sleep(for: .milliseconds(100))
                    continue
                }
                let diedAt = ContinuousClock.now
                let ranFor = diedAt - startedAt
                let delay = backoff.delay(afterRunningFor: Double(ranFor.components.seconds))
                logger.error("private mosquitto died; restarting", metadata: [
                    "how": "\(current.exitDescription ?? "?")", "ran_s": "\(ranFor.components.seconds)",
                    "restart_in_s": "\(delay)", "log": "\(Self.logTail(setup.logFile))",
                ])
                try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                if Task.isShuttingDownGracefully || Task.isCancelled { break }
                do {
                    if LoopbackPort.isListening(port) { throw PrivateBrokerError.portBusy(port) }
                    let next = try await Self.launch(setup, port: port)
                    process.withLock { $0 = next }
                    startedAt = ContinuousClock.now
                    restarts.increment()
                    let down: Duration = ContinuousClock.now - diedAt
                    logger.notice("private mosquitto restarted", metadata: ["pid": "\(next.pid)", "down_s": "\(String(format: "%.2f", down.seconds))"])
                } catch {
                    // The next turn of the loop sees a dead process and waits longer.
                    logger.error("private mosquitto did not restart", metadata: ["error": "\(error)"])
                    startedAt = ContinuousClock.now
                }
            }
        } onGracefulShutdown: {}
        stop()
    }

    /// Rewrites the password and ACL files and sends mosquitto SIGHUP (it re-reads both).
    package func reloadAccounts() {
        do {
            try Self.writeAccounts(services: setup.services, serviceHashes: setup.serviceHashes, tools: setup.tools, topics: setup.topics, folder: setup.folder)
            process.withLock { $0 }.send(SIGHUP)
            logger.notice("MQTT accounts reloaded", metadata: ["tools": "\((try? setup.tools.entries().count) ?? 0)"])
        } catch {
            logger.error("could not reload the MQTT accounts", metadata: ["error": "\(error)"])
        }
    }

    /// Stops the broker cleanly (it saves its store; SIGKILL after 3 s).
    package func stop() {
        let current = process.withLock { $0 }
        guard current.isRunning else { return }
        let started = ContinuousClock.now
        logger.info("stopping private mosquitto", metadata: ["pid": "\(current.pid)"])
        current.stop(timeout: 3)
        try? FileManager.default.removeItem(atPath: setup.pidFile)
        let took: Duration = ContinuousClock.now - started
        logger.info("private mosquitto stopped", metadata: ["after_s": "\(String(format: "%.2f", took.seconds))"])
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

    static func logTail(_ logFile: String) -> String {
        (try? String(contentsOfFile: logFile, encoding: .utf8))?.split(separator: "\n").suffix(5).joined(separator: "\n") ?? ""
    }

    static let defaultTemplate = """
        user {{USER}}
        listener {{PORT}} 127.0.0.1
        persistence true
        persistence_location {{DATA}}/
        autosave_interval 30
        max_queued_messages 1000000
        max_queued_bytes 0
        max_inflight_messages 1000
        persistent_client_expiration 7d
        log_dest stdout
        """
}

/// Why the private broker could not start.
package enum PrivateBrokerError: Error, CustomStringConvertible {
    case notInstalled
    case portBusy(Int)
    case didNotStart(port: Int, log: String)

    package var description: String {
        switch self {
        case .notInstalled:
            "mosquitto is not installed: run `sudo apt-get install mosquitto` (or give --broker-url mqtt://host:port to use an external broker)"
        case let .portBusy(port):
            "port \(port) on 127.0.0.1 is already in use by another program (not a private broker of this data folder): another broker is running? Use --broker-port N, or --broker-url mqtt://127.0.0.1:\(port) to use it"
        case let .didNotStart(port, log):
            "mosquitto did not start listening on 127.0.0.1:\(port). Its log says:\n\(log)"
        }
    }
}
