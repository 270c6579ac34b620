import ArgumentParser
import CCTVContract
import Foundation
import Prober

/// `cctv-out bench onvif --url URL`: the time one ONVIF check (GetSystemDateAndTime, then a signed
/// GetDeviceInformation) takes per camera, p50/p99, and checks per second, against one device
/// (scripts/bench-onvif.sh starts the test stub on loopback). The password comes from
/// CCTVOUT_CHECK_PASSWORD, as for `cctv-out check`.
struct BenchONVIF: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "onvif", abstract: "ONVIF check time per camera (p50/p99) and checks per second against one device on loopback.")

    @Option(help: "The device service URL (http://host:port/onvif/device_service).") var url: String
    @Option(help: "User name (password from CCTVOUT_CHECK_PASSWORD).") var user: String?
    @Option(help: "Seconds to run.") var duration = 10
    @Option(help: "Checks in flight.") var concurrency = 1

    func run() async throws {
        let credentials = user.map { StreamCredentials(username: $0, password: ProcessInfo.processInfo.environment["CCTVOUT_CHECK_PASSWORD"] ?? "") }
        let fetcher = HTTPClientHLSFetcher(connectionsPerHost: max(2, concurrency))
        let checker = ONVIFChecker(fetcher: fetcher, limits: .init(timeBudget: .seconds(5)))
        let tally = Tally()
        let cpu0 = BenchMeasure.cpuSeconds()
        let start = ContinuousClock.now
        let end = start + .seconds(duration)
        let url = url
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while ContinuousClock.now < end {
                        let began = ContinuousClock.now
                        let verdict = await checker.check(url: url, credentials: credentials)
                        tally.record(BenchMeasure.seconds(ContinuousClock.now - began) * 1000, outcome: "\(verdict.status.rawValue) \(verdict.reason)")
                    }
                }
            }
        }
        await fetcher.shutdown()
        let wall = BenchMeasure.seconds(ContinuousClock.now - start)
        let sorted = tally.latencies.sorted()
        print("onvif: GetSystemDateAndTime + signed GetDeviceInformation against \(url), \(concurrency) in flight, \(duration) s")
        print("onvif: \(sorted.count) checks, \(BenchMeasure.format(Double(sorted.count) / wall, 1)) checks/s, p50 \(BenchMeasure.format(BenchMeasure.quantile(sorted, 0.5), 1)) ms, "
              + "p99 \(BenchMeasure.format(BenchMeasure.quantile(sorted, 0.99), 1)) ms, checker cpu \(BenchMeasure.format(BenchMeasure.cpuSeconds() - cpu0, 2)) s "
              + "(\(BenchMeasure.format((BenchMeasure.cpuSeconds() - cpu0) / Double(max(1, sorted.count)) * 1000, 2)) ms per check), "
              + "outcomes \(tally.outcomes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
    }
}
