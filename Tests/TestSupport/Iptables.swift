import Foundation

/// Test-only packet filter rules in a chain of their own, always removed. They act only on
/// dedicated 127.x addresses, so no other traffic on the machine is touched.
package final class IptablesChain: @unchecked Sendable {
    package let name: String
    private var jumps: [[String]] = []

    /// Creates a fresh chain. - Throws: when not root or iptables is missing (never silently skipped).
    package init(prefix: String = "CCTVOUT_T") throws {
        guard geteuid() == 0 else {
            throw FixtureError("this test needs root for iptables (CI runs as root); refusing to pass without running it")
        }
        if Self.binary == nil { _ = try RequiredTool.path("iptables", package: "iptables") }
        name = "\(prefix)_\(UInt32.random(in: 0...UInt32.max) % 1_000_000)"
        try Self.run(["-N", name])
    }

    deinit { removeAll() }

    static var binary: String? {
        ["/usr/sbin/iptables", "/sbin/iptables"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Sends echo requests arriving for `address` (INPUT) into this chain, whose rules then decide.
    /// Dropping there models a silent, cut line: the request leaves, no reply ever comes back.
    /// (A DROP on OUTPUT would make sendto fail at once, which is a different failure.)
    package func captureEchoRequests(to address: String) throws {
        let jump = ["INPUT", "-d", address, "-p", "icmp", "--icmp-type", "echo-request", "-j", name]
        try Self.run(["-I"] + jump)
        jumps.append(jump)
    }

    /// Sends every packet this machine would send to `destination` (a CIDR) into this chain. With
    /// a DROP rule there, nothing leaves for that network however the code under test behaves, and
    /// ``packetCount()`` says whether it tried.
    package func captureOutgoing(to destination: String) throws {
        let jump = ["OUTPUT", "-d", destination, "-j", name]
        try Self.run(["-I"] + jump)
        jumps.append(jump)
    }

    /// Packets that reached this chain's rules so far.
    package func packetCount() throws -> Int {
        let listing = try Self.capture(["-L", name, "-v", "-x", "-n"])
        return listing.split(separator: "\n").dropFirst(2).compactMap { $0.split(separator: " ").first.flatMap { Int($0) } }.reduce(0, +)
    }

    /// Appends a rule to the chain, e.g. `["-j", "DROP"]`.
    package func append(_ rule: [String]) throws { try Self.run(["-A", name] + rule) }

    /// Empties the chain (packets pass again).
    package func flush() throws { try Self.run(["-F", name]) }

    /// Removes jumps and the chain.
    package func removeAll() {
        for jump in jumps { try? Self.run(["-D"] + jump) }
        jumps = []
        try? Self.run(["-F", name])
        try? Self.run(["-X", name])
    }

    /// Removes stale test chains left by a killed run.
    package static func cleanStale(prefix: String = "CCTVOUT_T") {
        guard let output = try? capture(["-S"]) else { return }
        for line in output.split(separator: "\n") where (line.hasPrefix("-A OUTPUT") || line.hasPrefix("-A INPUT")) && line.contains("-j \(prefix)_") {
            let rule = line.dropFirst(3).split(separator: " ").map(String.init)
            try? run(["-D"] + rule)
        }
        for line in output.split(separator: "\n") where line.hasPrefix("-N \(prefix)_") {
            let chain = String(line.dropFirst(3))
            try? run(["-F", chain]); try? run(["-X", chain])
        }
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> String { try capture(arguments) }

    static func capture(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary ?? "/usr/sbin/iptables")
        process.arguments = ["-w"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw FixtureError("iptables \(arguments.joined(separator: " ")) failed: \(output)") }
        return output
    }
}
