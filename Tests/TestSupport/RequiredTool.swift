import Foundation

/// A program a test runs, looked up where Debian installs it. A missing one fails the test with
/// the package that provides it and the script that installs it, never with "file doesn't exist"
/// (a fresh CI machine once failed on `/usr/bin/ffmpeg` that every developer machine had).
package enum RequiredTool {
    static let folders = ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin"]

    /// The absolute path of `name`.
    /// - Parameters:
    ///   - name: the program, e.g. `ffmpeg`.
    ///   - package: the Debian package that installs it, e.g. `ffmpeg` or `mosquitto-clients`.
    /// - Throws: ``FixtureError`` naming the package and `scripts/install-deps.sh`.
    package static func path(_ name: String, package: String) throws -> String {
        if let found = find(name) { return found }
        throw FixtureError("\(name) is not installed: it comes with the Debian package `\(package)`, which scripts/install-deps.sh installs (run it, or apt-get install \(package))")
    }

    /// The absolute path of `name`, or nil.
    package static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"].map { $0.split(separator: ":").map(String.init) } ?? []
        for folder in folders + path where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
            return "\(folder)/\(name)"
        }
        return nil
    }

    /// Fails unless `python3` can import `module`.
    /// - Parameters:
    ///   - module: the import name, e.g. `aiosmtpd`.
    ///   - pipPackage: the PyPI name scripts/install-deps.sh installs it under.
    package static func requirePythonModule(_ module: String, pipPackage: String? = nil) throws {
        let python = try path("python3", package: "python3")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", "import \(module)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError("the Python module \(module) is missing: scripts/install-deps.sh installs it (pip install \(pipPackage ?? module))")
        }
    }
}
