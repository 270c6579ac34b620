import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The mosquitto `serve` starts for itself: config from the template in `mosquitto/`, store in
/// the data folder, loopback only. Stopped (SIGTERM, so it saves its store) when serve ends.
public final class PrivateBroker: Sendable {
    public let port: Int
    let process: ChildProcess
    let logger: Logger

    /// Starts mosquitto and waits until it accepts connections.
    /// - Throws: ``PrivateBrokerError`` naming the apt package when mosquitto is missing.
    /// - Parameters:
    ///   - configuration: port, binary and config template of the private broker.
    ///   - dataDir: the installation's data folder; the store goes in its `mosquitto/` folder.
    public init(configuration: BrokerConfiguration, dataDir: String, logger: Logger) throws {
        self.logger = logger
        port = configuration.port
        guard let binary = Self.findBinary(configuration.mosquittoBinary) else { throw PrivateBrokerError.notInstalled }
        let dataDir = URL(fileURLWithPath: dataDir).standardizedFileURL.appendingPathComponent("mosquitto")
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        let template = (try? String(contentsOfFile: configuration.mosquittoConfig, encoding: .utf8)) ?? Self.defaultTemplate
        if LoopbackPort.isListening(port) { throw PrivateBrokerError.portBusy(port) }
        let user = String(cString: getpwuid(geteuid())?.pointee.pw_name ?? strdup("root"))
        let config = template.replacingOccurrences(of: "{{PORT}}", with: "\(port)")
            .replacingOccurrences(of: "{{DATA}}", with: dataDir.path)
            .replacingOccurrences(of: "{{USER}}", with: user)
        let configFile = dataDir.appendingPathComponent("mosquitto.conf")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
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
        logger.info("private mosquitto started", metadata: ["port": "\(port)", "binary": "\(binary)", "store": "\(dataDir.path)"])
    }

    /// Stops the broker cleanly (it saves its store).
    public func stop() {
        process.stop(timeout: 10)
        logger.info("private mosquitto stopped")
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
            "port \(port) on 127.0.0.1 is already in use: another broker is running? Use --broker-port N, or --broker-url mqtt://127.0.0.1:\(port) to use it"
        case let .didNotStart(port, log):
            "mosquitto did not start listening on 127.0.0.1:\(port). Its log says:\n\(log)"
        }
    }
}
