import ArgumentParser
import Foundation
import HLSSimulator
import Prober
import Synchronization

/// `cctv-out-bench hls`: N simulated live streams served on loopback by an in-process HTTP
/// server, checked in a loop by the prober's own HLS checker (master-less media playlist →
/// live-ness against the previous load → newest 25 kB H.264 segment → inspection).
/// Server and checker share the machine, so the number is a floor for the checker alone.
struct BenchHLS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hls", abstract: "HLS checks per second and p50/p99 latency against simulated live streams on loopback.")

    @Option(help: "Simulated live streams.") var streams = 1_000
    @Option(help: "Seconds to run.") var duration = 20
    @Option(help: "Checks in flight.") var concurrency = 128
    @Option(help: "Time budget per check, seconds.") var timeout: Double = 10

    func validate() throws {
        guard (1...100_000).contains(streams) else { throw ValidationError("--streams must be 1…100000") }
        guard (1...3_600).contains(duration) else { throw ValidationError("--duration must be 1…3600 seconds") }
        guard (1...10_000).contains(concurrency) else { throw ValidationError("--concurrency must be 1…10000") }
    }

    func run() async throws {
        let server = try await SimulatedCameraServer(port: 0, targetDuration: 2)
        let fetcher = HTTPClientHLSFetcher(connectionsPerHost: concurrency)
        let checker = HLSChecker(fetcher: fetcher, limits: HLSCheckLimits(timeBudget: .milliseconds(Int(timeout * 1000))))
        let tally = Tally()
        let streams = streams
        let rss0 = BenchMeasure.residentKB()
        let cpu0 = BenchMeasure.cpuSeconds()
        let start = ContinuousClock.now
        let end = start + .seconds(duration)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while ContinuousClock.now < end {
                        let stream = tally.next() % streams
                        let began = ContinuousClock.now
                        let verdict = await checker.check(key: "s\(stream)", url: server.mediaURL(stream))
                        let took = BenchMeasure.seconds(ContinuousClock.now - began) * 1000
                        tally.record(took, outcome: verdict.status == .success ? "ok" : "\(verdict.status.rawValue) \(verdict.reason)")
                    }
                }
            }
        }
        let wall = BenchMeasure.seconds(ContinuousClock.now - start)
        let cpu = BenchMeasure.cpuSeconds() - cpu0
        let sorted = tally.latencies.sorted()
        print("hls: \(streams) live streams (2 s segments, 25 kB H.264 TS), \(concurrency) checks in flight, \(duration) s, server and checker in one process")
        print("hls: \(sorted.count) checks, \(BenchMeasure.format(Double(sorted.count) / wall, 0)) checks/s, "
              + "p50 \(BenchMeasure.format(BenchMeasure.quantile(sorted, 0.5), 2)) ms, p99 \(BenchMeasure.format(BenchMeasure.quantile(sorted, 0.99), 2)) ms, "
              + "max \(BenchMeasure.format(sorted.last ?? .nan, 2)) ms")
        print("hls: outcomes \(tally.outcomes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")), "
              + "\(server.requestCount) HTTP requests served, cpu \(BenchMeasure.format(cpu, 1)) s (\(BenchMeasure.format(cpu / wall * 100, 0)) % of one core), "
              + "RSS \(rss0) → \(BenchMeasure.residentKB()) kB, \(checker.trackedCount) streams tracked")
        await fetcher.shutdown()
        server.stop()
    }
}

/// The benchmark's shared counters, behind locks so every check task can record into them.
final class Tally: Sendable {
    private let counter = Atomic<Int>(0)
    private let state = Mutex<(latencies: [Double], outcomes: [String: Int])>(([], [:]))

    func next() -> Int { counter.add(1, ordering: .relaxed).oldValue }
    func record(_ milliseconds: Double, outcome: String) {
        state.withLock { $0.latencies.append(milliseconds); $0.outcomes[outcome, default: 0] += 1 }
    }
    var latencies: [Double] { state.withLock { $0.latencies } }
    var outcomes: [String: Int] { state.withLock { $0.outcomes } }

    /// Runs `check` back to back in `concurrency` tasks until `duration` is over, recording each
    /// one's latency and outcome; returns the wall seconds.
    func runLoop(concurrency: Int, duration: Int, _ check: @escaping @Sendable () async -> String) async -> Double {
        let start = ContinuousClock.now
        let end = start + .seconds(duration)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while ContinuousClock.now < end {
                        let began = ContinuousClock.now
                        let outcome = await check()
                        self.record(BenchMeasure.seconds(ContinuousClock.now - began) * 1000, outcome: outcome)
                    }
                }
            }
        }
        return BenchMeasure.seconds(ContinuousClock.now - start)
    }

    /// `checks/s, p50, p99, checker cpu, outcomes` for a run of `wall` seconds that began at `cpu0`.
    func summary(wall: Double, cpu0: Double) -> String {
        let sorted = latencies.sorted()
        let cpu = BenchMeasure.cpuSeconds() - cpu0
        return "\(sorted.count) checks, \(BenchMeasure.format(Double(sorted.count) / wall, 1)) checks/s, p50 \(BenchMeasure.format(BenchMeasure.quantile(sorted, 0.5), 1)) ms, "
            + "p99 \(BenchMeasure.format(BenchMeasure.quantile(sorted, 0.99), 1)) ms, checker cpu \(BenchMeasure.format(cpu, 2)) s "
            + "(\(BenchMeasure.format(cpu / Double(max(1, sorted.count)) * 1000, 2)) ms per check), "
            + "outcomes \(outcomes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"
    }
}
