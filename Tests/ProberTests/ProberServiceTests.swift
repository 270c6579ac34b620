import CCTVContract
import Foundation
import HLSSimulator
import Logging
import MQTTBus
@testable import Prober
import ServiceLifecycle
import ServiceRuntime
import Testing
import TestSupport

/// A fake ICMP port: every camera answers except those at 127.0.0.99 (a cut line).
struct AlwaysAnswering: ICMPProbing {
    func check(address: String) async -> ICMPVerdict {
        if address == "127.0.0.99" { return ICMPVerdict(status: .timeout, reason: "no_reply", sent: 1, received: 0) }
        return ICMPVerdict(status: .success, reason: "ok", sent: 1, received: 1, rttMinMs: 0.1, rttAvgMs: 0.1, rttMaxMs: 0.1, replyFrom: address)
    }
}

@Suite("prober service through a real mosquitto", .serialized, .runsAlone)
struct ProberServiceTests {
    @Test("cameras with a stream get probe.hls results on cctv/{id}/hls; a hung stream holds up neither pings nor other streams; a port above 65535 is ERROR bad_url, not a crash; a cut line skips its stream check; a new URL applies without restart")
    func hlsResults() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        let cameras = try await SimulatedCameraServer(port: 0)
        cameras.set(.httpStatus(404), stream: 2)
        cameras.set(.hang, stream: 3)

        var runtime = RuntimeConfiguration()
        runtime.instance = "pt-\(UUID().uuidString.prefix(6))"
        var configuration = ProberConfiguration()
        configuration.interval = 1
        configuration.hlsTimeout = 2
        var logger = Logger(label: "prober-test")
        logger.logLevel = .warning
        Observability.bootstrapMetrics()
        let context = RuntimeContext(configuration: runtime, endpoint: broker.endpoint, logger: logger)
        let prober = ProberService(context: context, configuration: configuration, icmp: AlwaysAnswering())
        let group = ServiceGroup(configuration: .init(services: [.init(service: prober)], logger: logger))
        let running = Task { try await group.run() }
        defer { running.cancel() }

        let tool = MQTTClient(configuration: .init(port: broker.port, clientID: "tool-\(UUID().uuidString.prefix(6))", cleanStart: true), logger: logger)
        let hlsResults = try await Collector.subscribing(tool, to: "cctv/+/hls")
        let icmpResults = try await Collector.subscribing(tool, to: "cctv/+/icmp")
        tool.start()
        try await tool.waitUntilConnected()

        func define(_ id: String, stream: Int?, address: String = "127.0.0.1", url: String? = nil) async throws {
            let camera = CameraDefinition(id: id, name: id, address: address, hlsURL: url ?? stream.map { cameras.mediaURL($0).absoluteString },
                                          intervalSeconds: 1, createdAt: Date(), updatedAt: Date(), version: 1)
            try await tool.publish("cctv/\(id)/config", payload: ContractCodec.encode(Envelope(type: .cameraConfig, source: "test", data: camera)),
                                   retain: true, timeout: .seconds(5))
        }
        try await define("CAM-OK", stream: 1)
        try await define("CAM-404", stream: 2)
        try await define("CAM-HUNG", stream: 3)
        try await define("CAM-PING-ONLY", stream: nil)
        try await define("CAM-LINE-CUT", stream: 5, address: "127.0.0.99")
        // Published by a tool that skipped the registry's validation: it once crashed the process.
        try await define("CAM-BAD-PORT", stream: nil, url: "http://127.0.0.1:70000/live.m3u8")

        func result(_ id: String, where predicate: @escaping @Sendable (HLSResult) -> Bool = { _ in true }) async -> HLSResult? {
            let message = await hlsResults.first(timeout: .seconds(20)) { message in
                guard message.topic == "cctv/\(id)/hls",
                      let envelope = try? ContractCodec.decode(message.payload, as: HLSResult.self, expecting: [.probeHLS]) else { return false }
                return predicate(envelope.data)
            }
            return message.flatMap { try? ContractCodec.decode($0.payload, as: HLSResult.self, expecting: [.probeHLS]).data }
        }

        let ok = await result("CAM-OK")
        #expect(ok?.status == .success)
        #expect(ok?.codec == "h264")
        let notFound = await result("CAM-404")
        #expect(notFound?.status == .fail)
        #expect(notFound?.reason == "http_404")
        let hung = await result("CAM-HUNG")
        #expect(hung?.status == .error)
        #expect(hung?.reason == "timeout")
        let badPort = await result("CAM-BAD-PORT")
        #expect(badPort?.status == .error && badPort?.reason == "bad_url", "\(String(describing: badPort))")
        // While the hung stream spends its budget, the others keep their pace.
        #expect(await eventually(timeout: .seconds(20)) {
            icmpResults.all.filter { $0.topic == "cctv/CAM-HUNG/icmp" }.count >= 3
                && hlsResults.all.filter { $0.topic == "cctv/CAM-OK/hls" }.count >= 3
        })
        #expect(icmpResults.all.contains { $0.topic == "cctv/CAM-PING-ONLY/icmp" })
        #expect(!hlsResults.all.contains { $0.topic == "cctv/CAM-PING-ONLY/hls" })
        // A camera whose line is down gets ICMP results only: its stream check would say nothing
        // the diagnosis uses and would hold an HLS slot.
        #expect(await eventually(timeout: .seconds(20)) { icmpResults.all.filter { $0.topic == "cctv/CAM-LINE-CUT/icmp" }.count >= 3 })
        #expect(hlsResults.all.filter { $0.topic == "cctv/CAM-LINE-CUT/hls" }.count <= 1)

        // The hung camera gets a working stream: the next results use it, no restart.
        try await define("CAM-HUNG", stream: 4)
        let fixed = await result("CAM-HUNG") { $0.url.contains("/s/4/") && $0.status == .success }
        #expect(fixed != nil)
    }
}
