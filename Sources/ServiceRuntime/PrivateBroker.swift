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
/// - Supervised: ``run()`` restarts it with ``RestartBackoff`` whenever it dies (the services'
///   clients reconnect by themselves), and stops it (SIGTERM, so it saves its store) on
///   graceful shutdown, as the last step, after every service said `offline`.
/// - Crash-safe: it dies with `serve` (``ChildProcess`` `diesWithParent`), its pid is kept in
///   `{data}/mosquitto/mosquitto.pid`, and a stray one left by an earlier `serve` is found and
///   stopped before starting (``StrayBroker``), so the port is free again after a `kill -9`.
public final class PrivateBroker: Service, Sendable {
    public let port: Int
    let binary: String
    let configFile: String
    let logFile: String
    let pidFile: String
    let logger: Logger
    private let process: Mutex<ChildProcess>
    private let restarts = Counter(label: "cctvout_broker_restarts_total")

    /// Writes the config, stops a stray broker of this data folder, starts mosquitto and waits
    /// until it accepts connections.
    /// - Parameters:
    ///   - configuration: port, binary and config template of the private broker.
    ///   - dataDir: the installation's data folder; the store goes in its `mosquitto/` folder.
    /// - Throws: ``PrivateBrokerError`` naming the apt package when mosquitto is missing, the
    ///   port when another program holds it, or the broker's own log when it does not start.
    public static func start(configuration: BrokerConfiguration, dataDir: String, logger: Logger) async throws -> PrivateBroker {
        let port = configuration.port
        guard let binary = findBinary(configuration.mosquittoBinary) else { throw PrivateBrokerError.notInstalled }
        let dataDir = URL(fileURLWithPath: dataDir).standardizedFileURL.appendingPathComponent("mosquitto")
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        let template = (try? String(contentsOfFile: configuration.mosquittoConfig, encoding: .utf8)) ?? defaultTemplate
        let user = String(cString: getpwuid(geteuid())?.pointee.pw_name ?? strdup("root"))
        let config = template.replacingOccurrences(of: "{{PORT}}", with: "\(port)")
            .replacingOccurrences(of: "{{DATA}}", with: dataDir.path)
            .replacingOccurrences(of: "{{USER}}", with: user)
        let configFile = dataDir.appendingPathComponent("mosquitto.conf").path
        let pidFile = dataDir.appendingPathComponent("mosquitto.pid").path
        let logFile = dataDir.appendingPathComponent("mosquitto.log").path
        for stray in StrayBroker.find(configFile: configFile, pidFile: pidFile) {
            logger.warning("stopping a private mosquitto left running by an earlier serve", metadata: ["pid": "\(stray)", "config": "\(configFile)"])
            if !StrayBroker.stop(stray) {
                logger.error("could not stop the stray private mosquitto", metadata: ["pid": "\(stray)"])
            }
        }
        if LoopbackPort.isListening(port) { throw PrivateBrokerError.portBusy(port) }
        try config.write(toFile: configFile, atomically: true, encoding: .utf8)
        let process = try await launch(binary: binary, configFile: configFile, logFile: logFile, pidFile: pidFile, port: port)
        logger.info("private mosquitto started", metadata: ["port": "\(port)", "pid": "\(process.pid)", "binary": "\(binary)", "store": "\(dataDir.path)"])
        return PrivateBroker(port: port, binary: binary, configFile: configFile, logFile: logFile, pidFile: pidFile, process: process, logger: logger)
    }

    private init(port: Int, binary: String, configFile: String, logFile: String, pidFile: String, process: ChildProcess, logger: Logger) {
        self.port = port; self.binary = binary; self.configFile = configFile; self.logFile = logFile; self.pidFile = pidFile
        self.process = Mutex(process); self.logger = logger
    }

    /// The running broker's process id.
    public var pid: pid_t { process.withLock { $0.pid } }

    /// Starts mosquitto and waits (up to 10 s) until its port accepts connections.
    private static func launch(binary: String, configFile: String, logFile: String, pidFile: String, port: Int) async throws -> ChildProcess {
        let process = try ChildProcess(executable: binary, arguments: ["-c", configFile], logFile: logFile, diesWithParent: true)
        try? "\(process.pid)\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
        let deadline = ContinuousClock.now.advanced(by: .seconds(10))
        while !LoopbackPort.isListening(port) {
            if !process.isRunning || ContinuousClock.now > deadline {
                process.stop(timeout: 1)
                throw PrivateBrokerError.didNotStart(port: port, log: logTail(logFile))
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process
    }

    /// Supervises the broker until graceful shutdown, then stops it.
    public func run() async throws {
        var backoff = RestartBackoff()
        var startedAt = ContinuousClock.now
        await withGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
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
                    "restart_in_s": "\(delay)", "log": "\(Self.logTail(logFile))",
                ])
                try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                if Task.isShuttingDownGracefully || Task.isCancelled { break }
                do {
                    if LoopbackPort.isListening(port) { throw PrivateBrokerError.portBusy(port) }
                    let next = try await Self.launch(binary: binary, configFile: configFile, logFile: logFile, pidFile: pidFile, port: port)
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

    /// Stops the broker cleanly (it saves its store; SIGKILL after 3 s).
    public func stop() {
        let current = process.withLock { $0 }
        guard current.isRunning else { return }
        let started = ContinuousClock.now
        logger.info("stopping private mosquitto", metadata: ["pid": "\(current.pid)"])
        current.stop(timeout: 3)
        try? FileManager.default.removeItem(atPath: pidFile)
        let took: Duration = ContinuousClock.now - started
        logger.info("private mosquitto stopped", metadata: ["after_s": "\(String(format: "%.2f", took.seconds))"])
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
        allow_anonymous true
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
            "port \(port) on 127.0.0.1 is already in use by another program (not a private broker of this data folder): another broker is running? Use --broker-port N, or --broker-url mqtt://127.0.0.1:\(port) to use it"
        case let .didNotStart(port, log):
            "mosquitto did not start listening on 127.0.0.1:\(port). Its log says:\n\(log)"
        }
    }
}
