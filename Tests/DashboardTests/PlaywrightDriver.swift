import Foundation
import Synchronization
import TestSupport

/// Runs one scenario of `Driver/dashboard.py` (Playwright in Debian's Chromium) and talks to it:
/// it prints `STEP name` when the test must act (answered with `GO`), `METRIC {json}`, and `OK` or
/// `FAIL why` at the end. Screenshots go to `.build/dashboard-artifacts/` (kept as test artifacts).
final class PlaywrightDriver: Sendable {
    /// Where screenshots are kept: `.build/dashboard-artifacts` of the checkout.
    static let artifacts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/dashboard-artifacts").path
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Driver/dashboard.py").path

    /// Fails with the package to install when Chromium or Playwright is missing (never skipped).
    static func requireBrowser() throws {
        _ = try RequiredTool.path("chromium", package: "chromium")
        try RequiredTool.requirePythonModule("playwright", pipPackage: "playwright")
    }

    private let process = Process()
    private let input = Pipe()
    private let lines: AsyncStream<String>
    private final class Transcript: Sendable { let lines = Mutex<[String]>([]) }
    private let transcript = Transcript()

    /// Starts `scenario` against `base` with `arguments` (`key=value`).
    init(_ scenario: String, base: String, arguments: [String: String] = [:], phone: Bool = false, locale: String = "ko-KR") throws {
        signal(SIGPIPE, SIG_IGN) // a driver that died must fail the test, not kill it on our next write
        let python = try RequiredTool.path("python3", package: "python3")
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.script, scenario, "--base", base, "--artifacts", Self.artifacts, "--locale", locale]
            + (phone ? ["--phone"] : []) + arguments.sorted { $0.key < $1.key }.flatMap { ["--arg", "\($0.key)=\($0.value)"] }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = input
        let (stream, continuation) = AsyncStream<String>.makeStream()
        lines = stream
        let reader = output.fileHandleForReading
        let transcript = transcript
        Thread.detachNewThread {
            var buffer = Data()
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: 0x0A) {
                    let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                    buffer.removeSubrange(buffer.startIndex...newline)
                    transcript.lines.withLock { $0.append(line) }
                    continuation.yield(line)
                }
            }
            continuation.finish()
        }
        try process.runDyingWithTests()
    }

    deinit { if process.isRunning { process.terminate() } }

    /// Everything the driver printed so far (for failure messages).
    var output: String { transcript.lines.withLock { $0.joined(separator: "\n") } }

    /// Reads the driver's lines until it ends, answering each `STEP` with `act` then `GO`.
    /// Returns the `METRIC` objects; throws with the driver's output on `FAIL` or after `timeout`.
    func run(timeout: Duration = .seconds(300), act: @Sendable (String) async throws -> Void = { _ in }) async throws -> [[String: Any]] {
        let process = process
        let watchdog = Task { try await Task.sleep(for: timeout); if process.isRunning { process.terminate() } }
        defer { watchdog.cancel() }
        var metrics: [[String: Any]] = []
        var finished = false
        for await line in lines {
            if line.hasPrefix("STEP ") {
                try await act(String(line.dropFirst(5)))
                input.fileHandleForWriting.write(Data("GO\n".utf8))
            } else if line.hasPrefix("METRIC "), let object = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(7).utf8)) as? [String: Any] {
                metrics.append(object)
            } else if line == "OK" {
                finished = true
            }
        }
        process.waitUntilExit()
        guard finished, process.terminationStatus == 0 else {
            throw FixtureError("dashboard driver failed (exit \(process.terminationStatus)); screenshots in \(Self.artifacts):\n\(output)")
        }
        return metrics
    }
}
