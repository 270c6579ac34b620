import CCTVContract
import Foundation
import Installation
import GRDB
import Logging
import MQTTBus
import ServiceRuntime
import Testing
import TestSupport
@testable import Issues

@Suite("issues service: results pulse", .serialized, .runsAlone)
struct ResultPulseTests {
    @Test("the pulse says when the last result arrived and how many cameras are enabled; monitor/checked names each camera")
    func pulseAndChecked() async throws {
        var logger = Logger(label: "pulse-test")
        logger.logLevel = ProcessInfo.processInfo.environment["TEST_LOG"] == nil ? .warning : .debug
        let running = try TestInstallation([.issues], logger: logger) { $0.runtime.selfWatch.stallAfterOverride = 2 }
        let issues = try #require(running.installation.issues)
        let tool = MQTTClient(configuration: .init(port: running.broker.port, clientID: "tool-\(UUID().uuidString.prefix(6))", cleanStart: true), logger: Logger(label: "tool"))
        let pulses = try await Collector.subscribing(tool, to: "monitor/pulse")
        let checked = try await Collector.subscribing(tool, to: "monitor/checked")
        tool.start()
        try await tool.waitUntilConnected()
        for (n, enabled) in [(1, true), (2, true), (3, false)] {
            let camera = CameraDefinition(id: "CAM-\(n)", name: "cam \(n)", address: "127.0.4.\(n)", enabled: enabled, createdAt: Date(), updatedAt: Date(), version: 1)
            try await tool.publish("cctv/CAM-\(n)/config", payload: ContractCodec.encode(Envelope(type: .cameraConfig, source: "test", data: camera)), retain: true)
        }
        #expect(await eventually(timeout: .seconds(10)) {
            (try? await issues.pulse.enabledCameras()) == 2
        }, "disabled cameras are not expected to produce results")
        // Dates travel with millisecond precision: a result handled within the same millisecond reads as slightly earlier.
        let before = Date().addingTimeInterval(-0.001)
        let result = ICMPResult(cameraID: "CAM-1", address: "127.0.4.1", status: .success, reason: "ok", sent: 1, received: 1,
                                lossPercent: 0, startedAt: Date(), durationMs: 1, prober: "test")
        try await tool.publish("cctv/CAM-1/icmp", payload: ContractCodec.encode(Envelope(type: .probeICMP, source: "test", data: result)))
        let pulse = await pulses.first(timeout: .seconds(15)) { message in
            ((try? ContractCodec.decode(message.payload, as: MonitorPulse.self, expecting: [.monitorPulse]))?.data.lastResultAt).map { $0 >= before } ?? false
        }
        let decoded = pulse.flatMap { try? ContractCodec.decode($0.payload, as: MonitorPulse.self, expecting: [.monitorPulse]) }
        #expect(decoded != nil, "no pulse carried the result")
        #expect((decoded?.data.results ?? 0) >= 1)
        let times = await checked.first(timeout: .seconds(15)) { message in
            (try? ContractCodec.decode(message.payload, as: MonitorChecked.self, expecting: [.monitorChecked]))?.data.cameras["CAM-1"] != nil
        }
        #expect(times != nil, "monitor/checked carries CAM-1's result time")
        await tool.shutdown()
        await running.stop()
    }
}
