import ArgumentParser
import CCTVContract
import Foundation
import HLSSimulator
import Prober
import Synchronization

/// `cctv-out-bench hls-slots`: N hung stream servers beside M healthy cameras, run through the
/// prober's own ``CheckRunner`` and HLS checker; reports how often the healthy cameras were
/// actually checked. Runs the fair slots (slow lane + per-host limit) and, as the peer in the
/// same run, the plain pool the prober had before, one after the other.
struct BenchHLSSlots: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hls-slots",
        abstract: "Healthy cameras' real HLS check period while hung stream servers hold check slots (fair slots vs a plain pool).")

    @Option(help: "Healthy simulated cameras (one stream server).") var healthy = 100
    @Option(help: "Hung cameras: their playlist request is accepted and never answered.") var hung = 300
    @Option(help: "Stream servers the hung cameras are spread over.") var hungHosts = 30
    @Option(help: "Check interval of every camera, seconds.") var interval: Double = 10
    @Option(help: "HLS checks at once (prober.hls-concurrency).") var concurrency = 64
    @Option(help: "Time budget per check, seconds (prober.hls-timeout).") var timeout: Double = 10
    @Option(help: "Seconds each policy runs.") var duration = 90
    @Option(help: "fair, plain or both.") var policy = "both"
    @Option(help: "Seconds ignored at the start (default: 2 intervals + hung × timeout ÷ concurrency).") var warmup: Double?

    func validate() throws {
        guard (1...10_000).contains(healthy), (0...10_000).contains(hung), (1...1_000).contains(hungHosts) else {
            throw ValidationError("--healthy 1…10000, --hung 0…10000, --hung-hosts 1…1000")
        }
        guard (1...3_600).contains(duration), interval >= 1, timeout >= 0.5 else { throw ValidationError("--duration 1…3600, --interval ≥ 1, --timeout ≥ 0.5") }
        guard ["fair", "plain", "both"].contains(policy) else { throw ValidationError("--policy fair|plain|both") }
    }

    func run() async throws {
        let good = try await SimulatedCameraServer(port: 0, targetDuration: 2)
        var hungServers: [SimulatedCameraServer] = []
        for _ in 0..<min(hungHosts, max(1, hung)) { hungServers.append(try await SimulatedCameraServer(port: 0, targetDuration: 2)) }
        var cameras: [CameraDefinition] = []
        let epoch = Date(timeIntervalSince1970: 0)
        for index in 0..<healthy {
            cameras.append(CameraDefinition(id: "good-\(index)", name: "good", address: "127.0.0.1", hlsURL: good.mediaURL(index).absoluteString,
                                            createdAt: epoch, updatedAt: epoch, version: 1))
        }
        for index in 0..<hung {
            let server = hungServers[index % hungServers.count]
            server.set(.hang, stream: index)
            cameras.append(CameraDefinition(id: "hung-\(index)", name: "hung", address: "127.0.0.1", hlsURL: server.mediaURL(index).absoluteString,
                                            createdAt: epoch, updatedAt: epoch, version: 1))
        }
        print("hls-slots: \(healthy) healthy cameras + \(hung) hung on \(hungServers.count) servers, interval \(BenchMeasure.format(interval, 0)) s, "
              + "\(concurrency) slots, budget \(BenchMeasure.format(timeout, 0)) s, \(duration) s per policy")
        let policies: [(String, CheckSlots)] = [
            ("fair (slow share 0.25, 32 per host)", CheckSlots(total: concurrency, slowShare: 0.25, perHostLimit: 32)),
            ("plain pool (before)", CheckSlots(total: concurrency)),
        ].filter { policy == "both" || (policy == "fair") == $0.0.hasPrefix("fair") }
        for (name, slots) in policies {
            let starts = Mutex<[String: [Double]]>([:])
            let fetcher = HTTPClientHLSFetcher(connectionsPerHost: concurrency)
            let checker = HLSChecker(fetcher: fetcher, limits: HLSCheckLimits(timeBudget: .milliseconds(Int(timeout * 1000))))
            let runner = CheckRunner(defaultInterval: interval, backoff: BackoffPolicy(failuresBeforeBackoff: 1_000_000), slots: slots,
                                     slowAfter: .milliseconds(Int(timeout * 500)), host: CheckRunner.streamHost)
            for camera in cameras { runner.upsert(camera) }
            let origin = ContinuousClock.now
            let task = Task {
                await runner.run { camera in
                    let at = BenchMeasure.seconds(ContinuousClock.now - origin)
                    starts.withLock { $0[camera.id, default: []].append(at) }
                    let verdict = await checker.check(key: camera.id, url: URL(string: camera.hlsURL!)!)
                    return verdict.status != .success
                }
            }
            try await Task.sleep(for: .seconds(duration))
            task.cancel()
            await task.value
            await fetcher.shutdown()
            // Periods after the warm-up: the first round of hung checks runs in the regular lane
            // (nobody is known slow yet) and takes hung × budget ÷ slots.
            let warmUp = warmup ?? (2 * interval + Double(hung) * timeout / Double(concurrency))
            let recorded = starts.withLock { $0 }
            func periods(_ prefix: String) -> [Double] {
                recorded.filter { $0.key.hasPrefix(prefix) }.flatMap { _, times -> [Double] in
                    let late = times.filter { $0 >= warmUp }
                    return zip(late.dropFirst(), late).map { $0 - $1 }
                }.sorted()
            }
            let goodPeriods = periods("good-"), hungPeriods = periods("hung-")
            let checked = recorded.filter { $0.key.hasPrefix("good-") }.count
            let firstHealthy = recorded.filter { $0.key.hasPrefix("good-") }.compactMap { $0.value.first }.max() ?? .nan
            print("hls-slots: \(name): every healthy camera checked once by \(BenchMeasure.format(firstHealthy)) s; after \(BenchMeasure.format(warmUp, 0)) s healthy period p50 \(BenchMeasure.format(BenchMeasure.quantile(goodPeriods, 0.5))) s, "
                  + "p99 \(BenchMeasure.format(BenchMeasure.quantile(goodPeriods, 0.99))) s, max \(BenchMeasure.format(goodPeriods.last ?? .nan)) s "
                  + "(\(goodPeriods.count) gaps, \(checked)/\(healthy) healthy checked); hung period p50 \(BenchMeasure.format(BenchMeasure.quantile(hungPeriods, 0.5))) s")
        }
        good.stop()
        for server in hungServers { server.stop() }
    }
}
