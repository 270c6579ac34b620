import Foundation
import Testing
import TestSupport
@testable import ICMPEngine

@Suite("Engine against loopback", .runsAlone)
struct LoopbackEngineTests {
    @Test("127.0.0.1 answers all 3 echoes with RTTs", arguments: ["127.0.0.1", "::1"])
    func loopbackSucceeds(address: String) async throws {
        let result = try await TestSupport.withEngine(TestSupport.configuration()) { engine in
            await engine.check(address: address, count: 3)
        }
        #expect(result.status == .success, "\(result)")
        #expect(result.reason == "ok")
        #expect(result.sent == 3 && result.received == 3)
        #expect(result.lossPercent == 0)
        #expect(result.rttMinMs != nil && result.rttAvgMs != nil && result.rttMaxMs != nil)
        #expect(result.replyFrom == address)
    }

    @Test("replies read a long tick after they came in still time the loopback's round trip, not the wait",
          arguments: [ICMPSocketModePreference.raw, .automatic])
    func arrivalStamps(mode: ICMPSocketModePreference) async throws {
        var configuration = TestSupport.configuration(mode: mode)
        // After each look the receive thread sleeps 80 ms. Checks started 13 ms apart (each sent
        // at once: a new check wakes the scheduler) get their replies during that sleep; without
        // the kernel's arrival stamps their round trips would include the wait, up to ~70 ms.
        configuration.tick = .milliseconds(80)
        let results = try await TestSupport.withEngine(configuration) { engine in
            let collected = Recorder<ICMPCheckResult>()
            for index in 1...10 {
                engine.submit(address: "127.0.9.\(index)", count: 1) { collected.append($0) }
                try? await Task.sleep(for: .milliseconds(13))
            }
            _ = await eventually { collected.all.count == 10 }
            return collected.all
        }
        #expect(results.count == 10 && results.allSatisfy { $0.received == 1 }, "\(results)")
        let slowest = results.compactMap(\.rttMaxMs).max() ?? .infinity
        #expect(slowest < 5, "round trips: \(results.map { $0.rttMaxMs ?? -1 })")
    }

    @Test("Sweep of 1,000 distinct 127.1.x.y addresses succeeds for every one (no false loss)")
    func thousandTargetSweep() async throws {
        var addresses: [String] = []
        for x in 1...4 { for y in 1...250 { addresses.append("127.1.\(x).\(y)") } }
        let results = try await TestSupport.withEngine(TestSupport.configuration(pps: 20_000)) { engine in
            await engine.sweep(addresses, echoesPerTarget: 1)
        }
        #expect(results.count == 1_000)
        #expect(results.map(\.address) == addresses, "results come back in input order")
        let failures = results.filter { $0.status != .success }
        #expect(failures.isEmpty, "non-success: \(failures.prefix(5))")
        #expect(results.allSatisfy { $0.replyFrom == $0.address })
    }

    @Test("sweepStream yields one result per address and then finishes")
    func sweepStream() async throws {
        let addresses = (1...50).map { "127.2.0.\($0)" }
        let seen = try await TestSupport.withEngine(TestSupport.configuration()) { engine in
            var collected: [ICMPCheckResult] = []
            for await result in engine.sweepStream(addresses, echoesPerTarget: 2) { collected.append(result) }
            return collected
        }
        #expect(Set(seen.map(\.address)) == Set(addresses))
        #expect(seen.allSatisfy { $0.status == .success })
    }

    // An unknown name goes through a lookup that knows only "camera-on-loopback": asking the system
    // resolver about a name that does not exist would send a DNS query off this machine.
    @Test("Host names resolve through the lookup; unknown names fail with dns_unresolved")
    func names() async throws {
        let lookup: HostLookup = { name, _, _ in name == "camera-on-loopback" ? IPAddress("127.0.0.1") : nil }
        let engine = try ICMPEngine(configuration: TestSupport.configuration(), lookup: lookup)
        try engine.start()
        defer { engine.shutdown() }
        let good = await engine.check(address: "camera-on-loopback", count: 1)
        let bad = await engine.check(address: "no-such-camera", count: 1)
        #expect(HostResolver.systemLookup("localhost", true, false) != nil, "getaddrinfo answers localhost from /etc/hosts")
        #expect(good.status == .success)
        #expect(bad.status == .fail && bad.reason == "dns_unresolved")
    }

    @Test("Bad input and lifecycle misuse fail instead of hanging")
    func misuse() async throws {
        let engine = try ICMPEngine(configuration: TestSupport.configuration())
        let early = await engine.check(address: "127.0.0.1", count: 1)
        #expect(early.status == .fail && early.reason == "engine_not_running")
        try engine.start()
        #expect(throws: ICMPEngineError.self) { try engine.start() }
        let zero = await engine.check(address: "127.0.0.1", count: 0)
        #expect(zero.reason == "invalid_count")
        engine.shutdown()
        let late = await engine.check(address: "127.0.0.1", count: 1)
        #expect(late.status == .fail && late.reason == "engine_shutdown")
        engine.shutdown() // idempotent
    }

    @Test("Shutdown completes in-flight checks with engine_shutdown")
    func shutdownCompletesPending() async throws {
        var configuration = TestSupport.configuration()
        configuration.interval = .seconds(30)
        let engine = try ICMPEngine(configuration: configuration)
        try engine.start()
        async let result = engine.check(address: "127.0.0.1", count: 3)
        // Bounded wait until the first echo has been answered and the check is parked on its 30 s interval.
        for _ in 0..<200 where engine.pendingCheckCount == 0 || engine.outstandingProbeCount > 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        engine.shutdown()
        let r = await result
        #expect(r.status == .fail && r.reason == "engine_shutdown")
    }

    @Test("Two engines in one process ignore each other's replies on shared raw sockets")
    func twoEngines() async throws {
        let a = try ICMPEngine(configuration: TestSupport.configuration())
        let b = try ICMPEngine(configuration: TestSupport.configuration())
        try a.start()
        try b.start()
        defer { a.shutdown(); b.shutdown() }
        let addresses = (1...200).map { "127.3.0.\($0)" }
        async let ra = a.sweep(addresses, echoesPerTarget: 2)
        async let rb = b.sweep(addresses, echoesPerTarget: 2)
        let (x, y) = await (ra, rb)
        #expect(x.allSatisfy { $0.status == .success && $0.received == 2 })
        #expect(y.allSatisfy { $0.status == .success && $0.received == 2 })
    }
}
