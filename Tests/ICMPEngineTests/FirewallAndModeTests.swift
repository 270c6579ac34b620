import Foundation
import Glibc
import Testing
import TestSupport
@testable import ICMPEngine

/// Real packet paths shaped by iptables on dedicated 127.77.0.x addresses.
/// Serialized because these tests share the stale-chain cleanup and the
/// process-wide ping_group_range sysctl.
///
/// Kernel facts these tests pin down (Linux, nf_tables backend):
/// * A DROP in OUTPUT makes `sendto` fail with EPERM -> the engine reports
///   FAIL `send_refused` (the local host refused), *not* TIMEOUT; each refused
///   echo is counted as sent and lost.
/// * A silent camera is therefore simulated with DROP in INPUT: the request
///   leaves normally and nothing comes back -> TIMEOUT.
/// * REJECT (INPUT or OUTPUT) produces an ICMP host-unreachable that quotes
///   our request -> FAIL `host_unreachable`.
@Suite("Firewall-shaped outcomes and socket modes", .serialized, .runsAlone)
struct FirewallAndModeTests {
    static func check(_ address: String, count: Int, mode: ICMPSocketModePreference = .raw) async throws -> ICMPCheckResult {
        try await TestSupport.withEngine(TestSupport.configuration(mode: mode)) { engine in
            await engine.check(address: address, count: count)
        }
    }

    @Test("Silent host (echo requests dropped on arrival) gives TIMEOUT no_reply")
    func timeout() async throws {
        let chain = try FirewallChain()
        defer { chain.remove() }
        try chain.append(["-j", "DROP"])
        try chain.jump(from: "INPUT", destination: "127.77.0.10")
        let result = try await Self.check("127.77.0.10", count: 2)
        #expect(result.status == .timeout, "\(result)")
        #expect(result.reason == "no_reply")
        #expect(result.sent == 2 && result.received == 0 && result.lossPercent == 100)
        #expect(result.rttAvgMs == nil)
    }

    @Test("Every second echo dropped gives LOSS with 50 % loss")
    func loss() async throws {
        let chain = try FirewallChain()
        defer { chain.remove() }
        try chain.append(["-m", "statistic", "--mode", "nth", "--every", "2", "--packet", "0", "-j", "DROP"])
        try chain.jump(from: "INPUT", destination: "127.77.0.11")
        let result = try await Self.check("127.77.0.11", count: 4)
        #expect(result.status == .loss, "\(result)")
        #expect(result.reason == "partial_loss")
        #expect(result.sent == 4 && result.received == 2)
        #expect(result.lossPercent == 50)
        #expect(result.rttAvgMs != nil)
    }

    @Test("REJECT host-unreachable on the target side gives FAIL host_unreachable from the ICMP error")
    func rejectInput() async throws {
        let chain = try FirewallChain()
        defer { chain.remove() }
        try chain.append(["-j", "REJECT", "--reject-with", "icmp-host-unreachable"])
        try chain.jump(from: "INPUT", destination: "127.77.0.12")
        let result = try await Self.check("127.77.0.12", count: 2)
        #expect(result.status == .fail, "\(result)")
        #expect(result.reason == "host_unreachable")
        #expect(result.sent == 2)
    }

    @Test("REJECT on OUTPUT also gives FAIL host_unreachable (send refused, ICMP error quoted back)")
    func rejectOutput() async throws {
        let chain = try FirewallChain()
        defer { chain.remove() }
        try chain.append(["-j", "REJECT", "--reject-with", "icmp-host-unreachable"])
        try chain.jump(from: "OUTPUT", destination: "127.77.0.13")
        let result = try await Self.check("127.77.0.13", count: 2)
        #expect(result.status == .fail, "\(result)")
        #expect(result.reason == "host_unreachable")
    }

    @Test("DROP on OUTPUT is a local refusal: FAIL send_refused, the echo counted as sent and lost")
    func dropOutput() async throws {
        let chain = try FirewallChain()
        defer { chain.remove() }
        try chain.append(["-j", "DROP"])
        try chain.jump(from: "OUTPUT", destination: "127.84.0.14")
        let result = try await Self.check("127.84.0.14", count: 1)
        #expect(result.status == .fail, "\(result)")
        #expect(result.reason == "send_refused")
        #expect(result.sent == 1 && result.refused == 1 && result.received == 0 && result.lossPercent == 100)
    }

    @Test("half the echoes refused by a local firewall are lost echoes: LOSS send_refused, 5/10 replies, 50 % loss")
    func halfRefusedLocally() async throws {
        // `cctv-out check --count 10` under `statistic --mode random --probability 0.5` on OUTPUT
        // printed "LOSS, replies 8/8, loss 0 %"; every second echo (nth) makes the count exact.
        let chain = try FirewallChain()
        defer { chain.remove() }
        try chain.append(["-m", "statistic", "--mode", "nth", "--every", "2", "--packet", "0", "-j", "DROP"])
        try chain.jump(from: "OUTPUT", destination: "127.84.0.15")
        let result = try await Self.check("127.84.0.15", count: 10)
        #expect(result.status == .loss, "\(result)")
        #expect(result.reason == "send_refused")
        #expect(result.sent == 10 && result.refused == 5 && result.received == 5, "\(result)")
        #expect(result.lossPercent == 50)
    }

    @Test("Neighbouring addresses are unaffected while one is firewalled")
    func neighbours() async throws {
        let chain = try FirewallChain()
        defer { chain.remove() }
        try chain.append(["-j", "DROP"])
        try chain.jump(from: "INPUT", destination: "127.77.0.15")
        let results = try await TestSupport.withEngine(TestSupport.configuration()) { engine in
            await engine.sweep(["127.77.0.15", "127.77.0.16", "127.0.0.1"], echoesPerTarget: 2)
        }
        #expect(results.map(\.status) == [.timeout, .success, .success])
    }

    @Test("IPv6 silent host (ip6tables DROP on INPUT to ::1) gives TIMEOUT")
    func ipv6Timeout() async throws {
        let chain = try FirewallChain(ipv6: true)
        defer { chain.remove() }
        try chain.append(["-j", "DROP"])
        try chain.jump(from: "INPUT", destination: "::1")
        let result = try await Self.check("::1", count: 2)
        #expect(result.status == .timeout, "\(result)")
        #expect(result.sent == 2)
    }

    @Test("Automatic mode opens a socket for both families and reports it")
    func automaticMode() throws {
        var configuration = TestSupport.configuration(mode: .automatic)
        configuration.packetsPerSecond = 2_000
        let engine = try ICMPEngine(configuration: configuration)
        defer { engine.shutdown() }
        #expect(engine.mode.ipv4 != nil && engine.mode.ipv6 != nil)
        let range = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ping_group_range", encoding: .utf8)) ?? ""
        let bounds = range.split(whereSeparator: { $0 == "\t" || $0 == " " || $0 == "\n" }).compactMap { Int($0) }
        if bounds.count == 2, bounds[0] > bounds[1] {
            #expect(engine.mode.ipv4 == .raw, "ping_group_range '\(range)' forbids datagram sockets, so raw must be chosen")
        }
    }

    @Test("Datagram (ping socket) mode: loopback succeeds, REJECT gives FAIL host_unreachable via MSG_ERRQUEUE")
    func datagramMode() async throws {
        let path = "/proc/sys/net/ipv4/ping_group_range"
        let original = try String(contentsOfFile: path, encoding: .utf8)
        guard (try? "0 2147483647".write(toFile: path, atomically: false, encoding: .utf8)) != nil else {
            TestSupport.shout("could not write \(path): DATAGRAM MODE WAS NOT TESTED")
            Issue.record("datagram mode was NOT tested: \(path) is not writable")
            return
        }
        defer {
            if (try? original.write(toFile: path, atomically: false, encoding: .utf8)) == nil {
                TestSupport.shout("FAILED to restore \(path) to '\(original)'")
            }
        }
        let chain = try FirewallChain()
        defer { chain.remove() }
        try chain.append(["-j", "REJECT", "--reject-with", "icmp-host-unreachable"])
        try chain.jump(from: "INPUT", destination: "127.77.0.20")

        let (mode, v4, v6, rejected, sweep) = try await TestSupport.withEngine(TestSupport.configuration(mode: .datagram)) { engine in
            (engine.mode,
             await engine.check(address: "127.0.0.1", count: 3),
             await engine.check(address: "::1", count: 3),
             await engine.check(address: "127.77.0.20", count: 1), // count 1: only the error queue can fail it
             await engine.sweep((1...200).map { "127.4.0.\($0)" }, echoesPerTarget: 1))
        }
        #expect(mode.ipv4 == .datagram && mode.ipv6 == .datagram)
        #expect(v4.status == .success && v4.received == 3, "\(v4)")
        #expect(v6.status == .success && v6.received == 3, "\(v6)")
        #expect(rejected.status == .fail, "\(rejected)")
        #expect(rejected.reason == "host_unreachable")
        #expect(sweep.allSatisfy { $0.status == .success })
    }
}
