import ArgumentParser
import CCTVContract
import Foundation
import Prober

/// `cctv-out-bench onvif --url URL`: the time one ONVIF check (GetSystemDateAndTime, then a signed
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
        let url = url
        let wall = await tally.runLoop(concurrency: concurrency, duration: duration) {
            let verdict = await checker.check(url: url, credentials: credentials)
            return "\(verdict.status.rawValue) \(verdict.reason)"
        }
        await fetcher.shutdown()
        print("onvif: GetSystemDateAndTime + signed GetDeviceInformation against \(url), \(concurrency) in flight, \(duration) s")
        print("onvif: " + tally.summary(wall: wall, cpu0: cpu0))
    }
}
