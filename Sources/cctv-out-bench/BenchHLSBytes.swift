import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Prober
import ServiceRuntime

/// `cctv-out-bench hls-bytes --folder DIR`: bytes one HLS check fetches from a live stream in
/// DIR (e.g. written by ffmpeg), served on loopback by Hummingbird's file middleware (which
/// honours `Range`). Runs the old way (whole segment up to 2 MiB, no Range) and the new way
/// (Range for the first part) in the same run.
struct BenchHLSBytes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hls-bytes", abstract: "Bytes per HLS check: whole segment vs a Range request for its first part.")

    @Option(help: "Folder with index.m3u8 and its segments (a live ffmpeg HLS output).") var folder: String
    @Option(help: "Checks per mode.") var checks = 20
    @Option(help: "Prefix of the newest segment asked for with Range (the new default).") var segmentBytes = 512 << 10

    func run() async throws {
        let port = try LoopbackPort.free()
        var logger = Logger(label: "bench-hls-bytes")
        logger.logLevel = .critical
        let router = Router()
        router.middlewares.add(FileMiddleware(folder, searchForIndexHtml: false, logger: logger))
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        let server = Task { try await app.runService() }
        defer { server.cancel() }
        for _ in 0..<200 where !LoopbackPort.isListening(port) { try await Task.sleep(for: .milliseconds(20)) }
        let url = URL(string: "http://127.0.0.1:\(port)/index.m3u8")!
        for (name, limits) in [("before: whole segment (up to 2 MiB), no Range", HLSCheckLimits(segmentMaxBytes: 2 << 20, rangeRequests: false)),
                               ("after: Range for the first \(segmentBytes / 1024) KiB", HLSCheckLimits(segmentMaxBytes: segmentBytes, rangeRequests: true))] {
            let fetcher = HTTPClientHLSFetcher(connectionsPerHost: 4)
            let checker = HLSChecker(fetcher: fetcher, limits: limits)
            var bytes: [Int] = []
            var outcomes: [String: Int] = [:]
            for index in 0..<checks {
                let verdict = await checker.check(key: "bench-\(index)", url: url)
                bytes.append(verdict.bytes ?? 0)
                outcomes["\(verdict.status.rawValue) \(verdict.reason)" + (verdict.codec.map { " \($0)" } ?? ""), default: 0] += 1
                try await Task.sleep(for: .milliseconds(250))
            }
            await fetcher.shutdown()
            let mean = Double(bytes.reduce(0, +)) / Double(max(1, bytes.count))
            print("hls-bytes: \(name): \(BenchMeasure.format(mean / 1024, 1)) KiB per check (min \(bytes.min() ?? 0), max \(bytes.max() ?? 0) bytes), "
                  + "outcomes \(outcomes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        }
    }
}
