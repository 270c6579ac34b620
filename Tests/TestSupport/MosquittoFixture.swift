import Foundation
import ServiceRuntime
#if canImport(Glibc)
import Glibc
#endif

/// A real mosquitto broker for tests: its own temp folder, a free loopback port, persistence on.
/// Start, kill (SIGKILL, as a crash), restart on the same port and data, stop. Always stopped by
/// `stop()`; tests call it in `defer`.
package final class MosquittoFixture: @unchecked Sendable {
    package let port: Int
    package let directory: URL
    private var process: ChildProcess?
    private let lock = NSLock()

    /// Starts a broker. Throws when `mosquitto` is not installed (apt package `mosquitto`).
    /// - Parameter autosaveInterval: seconds between saves of its store; a SIGKILL loses what
    ///   arrived since the last one (a long interval makes a crash lose recent state on purpose).
    package init(extraConfig: String = "", autosaveInterval: Int = 1) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mosq-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = try FreePort.find()
        let config = """
            user root
            listener \(port) 127.0.0.1
            allow_anonymous true
            persistence true
            persistence_location \(directory.path)/
            autosave_interval \(autosaveInterval)
            autosave_on_changes false
            max_queued_messages 1000000
            max_queued_bytes 0
            max_inflight_messages 1000
            log_dest file \(directory.path)/mosquitto.log
            log_type error
            log_type warning
            log_type notice
            log_type information
            \(extraConfig)

            """
        try config.write(to: directory.appendingPathComponent("mosquitto.conf"), atomically: true, encoding: .utf8)
        try launch()
    }

    deinit { stop() }

    package static var executable: String? {
        for candidate in ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"]
        where FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        return nil
    }

    private func launch() throws {
        let executable = try Self.executable ?? RequiredTool.path("mosquitto", package: "mosquitto")
        let process = try ChildProcess.dyingWithTests(
            executable: executable, arguments: ["-c", directory.appendingPathComponent("mosquitto.conf").path],
            logFile: directory.appendingPathComponent("stdout.log").path)
        lock.withLock { self.process = process }
        try waitForPort(open: true, timeout: 10)
    }

    /// Kills the broker with SIGKILL (no clean shutdown: only what was autosaved survives).
    package func kill() {
        let running = lock.withLock { () -> ChildProcess? in defer { process = nil }; return process }
        guard let running else { return }
        running.send(SIGKILL)
        running.waitForExit(timeout: 10)
    }

    /// Stops the broker with SIGTERM, which saves its persistence file.
    package func terminate() {
        let running = lock.withLock { () -> ChildProcess? in defer { process = nil }; return process }
        guard let running else { return }
        running.stop(timeout: 10)
    }

    /// Starts the broker again on the same port and persistence folder.
    package func restart() throws {
        terminate()
        try launch()
    }

    /// Starts a stopped broker again (after `kill()` / `terminate()`).
    package func startAgain() throws { try launch() }

    /// Stops the broker and removes its folder.
    package func stop() {
        terminate()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The broker's log, for failure messages.
    package var log: String {
        (try? String(contentsOf: directory.appendingPathComponent("mosquitto.log"), encoding: .utf8)) ?? ""
    }

    private func waitForPort(open: Bool, timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if FreePort.isListening(port) == open { return }
            // A broker that exited (say, the port was taken between choosing and binding it) will not open it.
            if open, let running = lock.withLock({ process }), !running.isRunning { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        // Whether the broker still ran tells a slow start from a failed one (seen once in a full run:
        // the log ended in the middle of "Opening ipv4 listen socket").
        let state = lock.withLock { process }.map { $0.isRunning ? "still running" : "exited (\($0.exitDescription ?? "?"))" } ?? "not started"
        throw FixtureError("mosquitto did not \(open ? "open" : "close") port \(port) within \(timeout) s (\(state)); log:\n\(log)")
    }
}

/// A fixture failed to set up; the message says why.
package struct FixtureError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

/// Free TCP ports on loopback for the fixtures (the runtime's ``LoopbackPort``).
package enum FreePort {
    /// A port the kernel says is free right now.
    package static func find() throws -> Int { try LoopbackPort.free() }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    package static func isListening(_ port: Int) -> Bool { LoopbackPort.isListening(port) }
}
