import Foundation
import ServiceRuntime
#if canImport(Glibc)
import Glibc
#endif

/// The real `cctv-out` binary run as a process (as Docker or systemd would run it): its stderr
/// captured to a file, signals sent to it, its exit timed. Built next to the test bundle by
/// `swift build --build-tests`.
package final class CCTVOutProcess: @unchecked Sendable {
    package let process: ChildProcess
    package let logFile: String
    package let started = ContinuousClock.now

    /// The binary built next to the test bundle.
    package static func binary() throws -> String {
        let bundle = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var directory = bundle.deletingLastPathComponent()
        // On Linux the test runner is `.build/debug/cctv-outPackageTests.xctest`, beside `cctv-out`.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("cctv-out").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw FixtureError("the cctv-out binary is not built next to the tests (\(bundle.path)): run `swift build --build-tests` first")
    }

    /// Starts `cctv-out arguments…`.
    package init(_ arguments: [String]) throws {
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("cctv-out-\(UUID().uuidString).log").path
        process = try ChildProcess.dyingWithTests(executable: try Self.binary(), arguments: arguments, logFile: logFile)
    }

    deinit {
        if process.isRunning { process.stop(timeout: 2) }
        try? FileManager.default.removeItem(atPath: logFile)
    }

    /// Everything it logged so far.
    package var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// Lines of the log containing `text`.
    package func lines(containing text: String) -> [String] { log.split(separator: "\n").map(String.init).filter { $0.contains(text) } }

    /// Waits until the log has `count` lines containing `text`.
    package func waitForLog(_ text: String, count: Int = 1, timeout: Duration = .seconds(30)) async -> Bool {
        await eventually(timeout: timeout, every: .milliseconds(20)) { self.lines(containing: text).count >= count || !self.process.isRunning }
            && lines(containing: text).count >= count
    }

    /// Sends `signal`, then waits up to `timeout` for the exit; returns how long it took, or nil.
    package func stop(with signal: Int32 = SIGTERM, timeout: Duration = .seconds(15)) async -> Duration? {
        let sent = ContinuousClock.now
        process.send(signal)
        while ContinuousClock.now - sent < timeout {
            if !process.isRunning { return ContinuousClock.now - sent }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return process.isRunning ? nil : ContinuousClock.now - sent
    }
}
