import Foundation
import Glibc
import Testing
@testable import ICMPEngine

/// Shared helpers for tests that touch real sockets, iptables or sysctls.
enum TestSupport {
    /// Fast engine settings: short interval and timeout keep the suite quick;
    /// nothing here asserts on timing.
    static func configuration(mode: ICMPSocketModePreference = .raw, pps: Double = 0) -> ICMPEngineConfiguration {
        var c = ICMPEngineConfiguration()
        c.socketMode = mode
        c.packetsPerSecond = pps
        c.interval = .milliseconds(20)
        c.timeout = .milliseconds(500)
        return c
    }

    /// Runs `body` with a started engine and always shuts it down.
    static func withEngine<R>(_ configuration: ICMPEngineConfiguration, _ body: (ICMPEngine) async throws -> R) async throws -> R {
        let engine = try ICMPEngine(configuration: configuration)
        try engine.start()
        do {
            let r = try await body(engine)
            engine.shutdown()
            return r
        } catch {
            engine.shutdown()
            throw error
        }
    }

    /// Runs a program and returns (exit status, combined output).
    @discardableResult
    static func run(_ path: String, _ args: [String]) -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do { try p.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Prints a banner that cannot be missed in test output.
    static func shout(_ message: String) {
        let line = String(repeating: "!", count: 78)
        print("\n\(line)\n!!! \(message)\n\(line)\n")
    }
}

/// A uniquely named iptables/ip6tables chain plus the jump rules pointing at
/// it; `remove()` deletes everything it added (called from `defer`).
final class FirewallChain {
    static let iptables = "/usr/sbin/iptables"
    static let ip6tables = "/usr/sbin/ip6tables"
    static let prefix = "CCTVOUT_TEST_"

    let tool: String
    let name: String
    private var jumps: [[String]] = []

    /// Refuses loudly (records an issue) when we are not root or the tool is missing.
    init(ipv6: Bool = false) throws {
        tool = ipv6 ? Self.ip6tables : Self.iptables
        name = Self.prefix + String(UInt32.random(in: 0...UInt32.max), radix: 16).uppercased()
        guard getuid() == 0 else {
            TestSupport.shout("firewall tests need root; they were NOT run")
            throw FirewallError.notRoot
        }
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            TestSupport.shout("\(tool) is missing; firewall tests were NOT run")
            throw FirewallError.toolMissing(tool)
        }
        _ = Self.staleCleanupOnce
        try exec(["-N", name])
    }

    enum FirewallError: Error { case notRoot, toolMissing(String), commandFailed(String) }

    private func exec(_ args: [String]) throws {
        let r = TestSupport.run(tool, args)
        guard r.status == 0 else { throw FirewallError.commandFailed("\(tool) \(args.joined(separator: " ")): \(r.output)") }
    }

    /// Appends a rule inside the chain (e.g. `["-j", "DROP"]`).
    func append(_ rule: [String]) throws { try exec(["-A", name] + rule) }

    /// Inserts a jump from `builtin` (INPUT / OUTPUT) for echo requests to `destination`.
    func jump(from builtin: String, destination: String) throws {
        let icmp = tool == Self.ip6tables ? ["-p", "ipv6-icmp", "--icmpv6-type", "echo-request"] : ["-p", "icmp", "--icmp-type", "echo-request"]
        let spec = [builtin, "-d", destination] + icmp + ["-j", name]
        try exec(["-I"] + spec)
        jumps.append(spec)
    }

    /// Deletes jumps, flushes and deletes the chain. Errors are reported, not thrown, so cleanup always finishes.
    func remove() {
        for spec in jumps { TestSupport.run(tool, ["-D"] + spec) }
        jumps.removeAll()
        TestSupport.run(tool, ["-F", name])
        let r = TestSupport.run(tool, ["-X", name])
        if r.status != 0 { TestSupport.shout("could not delete chain \(name): \(r.output)") }
    }

    /// Removes CCTVOUT_TEST_* leftovers of crashed earlier runs (once per process,
    /// before this process creates any chain of its own).
    static let staleCleanupOnce: Void = {
        for tool in [iptables, ip6tables] where FileManager.default.isExecutableFile(atPath: tool) {
            let rules = TestSupport.run(tool, ["-S"]).output.split(separator: "\n")
            for rule in rules where rule.hasPrefix("-A ") && rule.contains("-j \(prefix)") {
                let args = rule.dropFirst(3).split(separator: " ").map(String.init)
                TestSupport.run(tool, ["-D"] + args)
            }
            for rule in rules where rule.hasPrefix("-N \(prefix)") {
                let chain = String(rule.dropFirst(3))
                TestSupport.run(tool, ["-F", chain])
                TestSupport.run(tool, ["-X", chain])
                print("removed stale chain \(chain) (\(tool))")
            }
        }
    }()
}
