import ArgumentParser
import Foundation
import ICMPEngine

/// `cctv-out-bench icmp`: the engine's sweep of distinct loopback addresses against
/// `fping -i 0` over the same list in the same run; `--memory N` instead measures N probes in
/// flight (held there by a test-owned iptables DROP chain, removed afterwards).
struct BenchICMP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "icmp", abstract: "ICMP sweep of distinct 127.x addresses vs fping; or probes in flight (--memory).")

    @Option(help: "Distinct loopback addresses (127.10.0.1 upwards).") var targets = 10_000
    @Option(help: "Echoes per address.") var count = 1
    @Option(help: "Packet-rate limit, packets/s; 0 = unlimited (the capacity measurement).") var pps: Double = 0
    @Option(help: "Reply timeout, milliseconds.") var timeoutMs = 1_000
    @Option(help: "Instead of the sweep: hold this many probes in flight and report resident memory (needs root/iptables).") var memory: Int?
    @Flag(help: "Skip the fping comparison.") var noFping = false

    func validate() throws {
        guard (1...60_000).contains(targets) else { throw ValidationError("--targets must be 1…60000 (127.10.0.0 upwards stays inside 127/8)") }
        guard (1...10).contains(count) else { throw ValidationError("--count must be 1…10") }
        if let memory, !(1...200_000).contains(memory) { throw ValidationError("--memory must be 1…200000") }
    }

    func run() async throws {
        var configuration = ICMPEngineConfiguration()
        configuration.packetsPerSecond = pps
        configuration.timeout = .milliseconds(timeoutMs)
        configuration.interval = .milliseconds(10)
        if let memory { try await inFlight(memory, configuration: configuration); return }

        let engine = try ICMPEngine(configuration: configuration)
        try engine.start()
        defer { engine.shutdown() }
        print("socket mode: \(engine.mode)")
        let addresses = Self.loopbackTargets(targets)
        let cpu0 = BenchMeasure.cpuSeconds()
        let start = ContinuousClock.now
        let results = await engine.sweep(addresses, echoesPerTarget: count)
        let wall = BenchMeasure.seconds(ContinuousClock.now - start)
        let cpu = BenchMeasure.cpuSeconds() - cpu0
        let falseLoss = results.filter { $0.status != .success }.count
        let packets = results.reduce(0) { $0 + $1.sent }
        print("engine: \(addresses.count) targets x \(count) echo, pps limit \(pps == 0 ? "unlimited" : BenchMeasure.format(pps, 0)): "
              + "wall \(BenchMeasure.format(wall * 1000)) ms, cpu \(BenchMeasure.format(cpu * 1000)) ms, "
              + "\(BenchMeasure.format(Double(packets) / wall, 0)) packets/s, false loss \(falseLoss)")
        if falseLoss > 0 {
            print("engine: non-success reasons \(Dictionary(grouping: results.filter { $0.status != .success }, by: \.reason).mapValues(\.count))")
        }
        guard !noFping else { return }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/fping") else { print("fping: not installed (/usr/bin/fping)"); return }
        let file = NSTemporaryDirectory() + "cctv-bench-targets-\(getpid()).txt"
        try (addresses.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let childCPU0 = BenchMeasure.childCPUSeconds()
        let fpingStart = ContinuousClock.now
        let fping = BenchMeasure.run("/usr/bin/fping", ["-i", "0", "-c", "\(count)", "-q", "-f", file])
        let fpingWall = BenchMeasure.seconds(ContinuousClock.now - fpingStart)
        let fpingCPU = BenchMeasure.childCPUSeconds() - childCPU0
        let lines = fping.output.split(separator: "\n").filter { $0.contains("xmt/rcv/%loss") }
        let lossy = lines.filter { !$0.contains("/0%") }.count
        print("fping:  wall \(BenchMeasure.format(fpingWall * 1000)) ms, cpu \(BenchMeasure.format(fpingCPU * 1000)) ms, "
              + "\(BenchMeasure.format(Double(addresses.count * count) / fpingWall, 0)) packets/s, hosts with loss \(lossy) of \(lines.count) (exit \(fping.status))")
    }

    /// Distinct loopback addresses 127.a.b.c from 127.10.1.1, skipping .0 and .255 octets.
    static func loopbackTargets(_ count: Int) -> [String] {
        var addresses: [String] = []
        addresses.reserveCapacity(count)
        var a = 10, b = 1, c = 1
        while addresses.count < count {
            addresses.append("127.\(a).\(b).\(c)")
            c += 1
            if c == 255 { c = 1; b += 1 }
            if b == 255 { b = 1; a += 1 }
        }
        return addresses
    }

    /// Holds `slots` probes in flight against 127.78.0.0/16, whose echo requests a test-owned
    /// DROP chain swallows, and reports VmRSS. The chain is removed on every path.
    func inFlight(_ slots: Int, configuration: ICMPEngineConfiguration) async throws {
        let chain = "CCTVOUT_BENCH_\(UInt32.random(in: 0...UInt32.max))"
        let iptables = "/usr/sbin/iptables"
        let jump = ["-d", "127.78.0.0/16", "-p", "icmp", "--icmp-type", "echo-request", "-j", chain]
        guard BenchMeasure.run(iptables, ["-N", chain]).status == 0 else { throw ValidationError("could not create iptables chain \(chain): run as root") }
        defer {
            BenchMeasure.run(iptables, ["-D", "INPUT"] + jump)
            BenchMeasure.run(iptables, ["-F", chain])
            BenchMeasure.run(iptables, ["-X", chain])
        }
        guard BenchMeasure.run(iptables, ["-A", chain, "-j", "DROP"]).status == 0,
              BenchMeasure.run(iptables, ["-I", "INPUT"] + jump).status == 0 else { throw ValidationError("could not install the DROP rule") }
        var addresses: [String] = []
        addresses.reserveCapacity(slots)
        var x = 1, y = 1
        while addresses.count < slots {
            addresses.append("127.78.\(x).\(y)")
            y += 1
            if y == 255 { y = 1; x += 1 }
            if x == 255 { x = 1 }
        }
        var held = configuration
        held.packetsPerSecond = 0
        held.timeout = .seconds(20)
        let rssBefore = BenchMeasure.residentKB()
        let engine = try ICMPEngine(configuration: held)
        try engine.start()
        let rssEngine = BenchMeasure.residentKB()
        let sweep = Task { await engine.sweep(addresses, echoesPerTarget: 1) }
        var peak = 0
        for _ in 0..<300 where peak < slots {
            try await Task.sleep(for: .milliseconds(100))
            peak = max(peak, engine.outstandingProbeCount)
        }
        let rssFull = BenchMeasure.residentKB()
        print("icmp memory: baseline \(rssBefore) kB, idle engine \(rssEngine) kB, \(peak) probes in flight \(rssFull) kB "
              + "(+\(rssFull - rssEngine) kB, \(BenchMeasure.format(Double((rssFull - rssEngine) * 1024) / Double(max(peak, 1)), 0)) B/probe)")
        engine.shutdown()
        _ = await sweep.value
    }
}
