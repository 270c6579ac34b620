import Foundation

/// Runs another program (mosquitto_pub, python3, …) without blocking a thread of the cooperative
/// pool: output goes to a temp file, the exit is awaited through the termination handler. Tests
/// that ran programs with a blocking read starved the in-process gateway on a 2-core machine.
package enum ToolProcess {
    package struct Outcome: Sendable {
        package var status: Int32
        /// Standard output and standard error, interleaved.
        package var output: String
        /// Standard output alone.
        package var standardOutput: String
    }

    /// Runs `executable` with `arguments` (and `environment` when given), feeding `input` on stdin.
    package static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, input: Data? = nil) async throws -> Outcome {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out"), err = folder.appendingPathComponent("err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.runDyingWithTests()
                if let input {
                    stdin.fileHandleForWriting.write(input)
                    try? stdin.fileHandleForWriting.close()
                }
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        let standardOutput = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        let standardError = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        return Outcome(status: status, output: standardOutput + standardError, standardOutput: standardOutput)
    }
}

/// The first line a fixture script prints (`READY …`, or why not), read within `timeout` seconds.
package enum FirstLine {
    package static func read(from output: Pipe, timeout: TimeInterval = 30) -> String {
        var seen = Data()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, !String(decoding: seen, as: UTF8.self).contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        return String(decoding: seen, as: UTF8.self)
    }
}

extension Process {
    /// Ends a fixture script for good: SIGKILL, then reaps it (quick: SIGKILL cannot be held back).
    /// Not `terminate()` (SIGTERM): a child started from a dispatch worker thread inherits that
    /// thread's signal mask with SIGTERM blocked (seen in /proc/PID/status of the ONVIF stub:
    /// `SigBlk: fffffffe3bfbea27`), so SIGTERM stayed pending and `waitUntilExit()` held a
    /// cooperative thread until the script's own 300 s watchdog; with two fixtures stopping at once
    /// (both threads of a 2-core pool) every test in the process stalled for those 300 s.
    package func killAndReap() {
        guard isRunning else { return }
        kill(processIdentifier, SIGKILL)
        waitUntilExit()
    }
}
