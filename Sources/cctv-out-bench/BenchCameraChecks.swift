import ArgumentParser
import CCTVContract
import Foundation
import Prober
import ServiceRuntime

/// `cctv-out-bench rtsp --url URL`: RTSP checks per second and p50/p99 latency against one RTSP
/// server (scripts/bench-camera-checks.sh starts GStreamer's on loopback). The password comes
/// from CCTVOUT_CHECK_PASSWORD, as for `cctv-out check`.
struct BenchRTSP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rtsp", abstract: "RTSP checks per second and p50/p99 latency against one RTSP server on loopback.")

    @Option(help: "rtsp:// URL of the stream.") var url: String
    @Option(help: "Stream user name (password from CCTVOUT_CHECK_PASSWORD).") var user: String?
    @Option(help: "Seconds to run.") var duration = 20
    @Option(help: "Checks in flight.") var concurrency = 16
    @Flag(help: "Also SETUP, PLAY and count video packets (~2 s window, ends at 20 packets).") var packets = false

    func run() async throws {
        let credentials = user.map { StreamCredentials(username: $0, password: ProcessInfo.processInfo.environment["CCTVOUT_CHECK_PASSWORD"] ?? "") }
        let checker = RTSPChecker(limits: .init(timeBudget: .seconds(5), packetWindow: packets ? .seconds(2) : nil))
        let tally = Tally()
        let cpu0 = BenchMeasure.cpuSeconds()
        let url = url
        let wall = await tally.runLoop(concurrency: concurrency, duration: duration) {
            let verdict = await checker.check(url: url, credentials: credentials)
            return "\(verdict.status.rawValue) \(verdict.reason)"
        }
        print("rtsp: \(packets ? "OPTIONS+DESCRIBE+SETUP+PLAY+packets" : "OPTIONS+DESCRIBE") against \(url), \(concurrency) in flight, \(duration) s")
        print("rtsp: " + tally.summary(wall: wall, cpu0: cpu0))
    }
}

/// `cctv-out-bench picture --url URL`: CPU seconds one picture check (ffmpeg decode through
/// blackdetect + freezedetect, plus a snapshot) costs, and the fleet one core sustains at one
/// picture check per camera every `--every` seconds.
struct BenchPicture: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "picture", abstract: "CPU per picture check and the fleet one core sustains.")

    @Option(help: "Stream URL (HLS http(s) or rtsp://, no credentials).") var url: String
    @Option(help: "Checks to run, one after another.") var checks = 5
    @Option(help: "Seconds of video decoded per check.") var sample: Double = 4
    @Option(help: "Seconds between picture checks of one camera.") var every: Double = 900

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cctv-bench-snapshots-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let check = PictureCheck(options: .init(sampleSeconds: sample, timeout: .seconds(60), snapshots: SnapshotStore(folder: folder)))
        var cpu: [Double] = []
        var wall: [Double] = []
        var outcomes: [String: Int] = [:]
        for _ in 0..<checks {
            let began = ContinuousClock.now
            let outcome = await check.check(camera: "bench", url: url, crop: nil, hasCredentials: false)
            wall.append(BenchMeasure.seconds(ContinuousClock.now - began))
            cpu.append(outcome.cpuSeconds ?? .nan)
            outcomes[outcome.reason, default: 0] += 1
        }
        let meanCPU = cpu.reduce(0, +) / Double(max(1, cpu.count))
        let meanWall = wall.reduce(0, +) / Double(max(1, wall.count))
        print("picture: \(checks) checks of \(BenchMeasure.format(sample, 0)) s from \(url): cpu \(BenchMeasure.format(meanCPU, 2)) s per check "
              + "(min \(BenchMeasure.format(cpu.min() ?? .nan, 2)), max \(BenchMeasure.format(cpu.max() ?? .nan, 2))), wall \(BenchMeasure.format(meanWall, 1)) s, "
              + "outcomes \(outcomes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        print("picture: one core sustains \(Int(every / meanCPU)) cameras at one picture check per camera every \(Int(every)) s")
    }
}
