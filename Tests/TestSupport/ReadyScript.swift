import Foundation

/// A fixture script (a Python server on a free loopback port) that prints `READY …` once it
/// listens, or why not as its first line; it ends when its stdin closes (``stop()`` also SIGKILLs
/// it, see ``Foundation/Process/killAndReap()``) and by its own watchdog otherwise.
package final class ReadyScript: Sendable {
    private let process = Process()
    private let stdin = Pipe()

    /// Starts `python script arguments…` and waits (up to 30 s) for its first line.
    /// - Parameter failure: what a user reads when the first line is not `READY` (its text follows).
    package init(python: String, script: String, arguments: [String], failure: String) throws {
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script] + arguments
        let output = Pipe()
        process.standardInput = stdin
        process.standardOutput = output
        process.standardError = output
        try process.runDyingWithTests()
        let text = FirstLine.read(from: output)
        guard text.hasPrefix("READY") else {
            stop()
            throw FixtureError("\(failure): \(text.suffix(600))")
        }
    }

    deinit { stop() }

    package func stop() {
        try? stdin.fileHandleForWriting.close()
        process.killAndReap()
    }
}
