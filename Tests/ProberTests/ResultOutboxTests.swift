import CCTVContract
import Foundation
import Logging
import MQTTBus
@testable import Prober
import ServiceRuntime
import Testing
import TestSupport

/// Check results leave the prober gathered: in order, every one, in a few `publishAll` calls.
@Suite("prober result outbox through a real mosquitto")
struct ResultOutboxTests {
    @Test("1,000 results handed over at once reach a subscriber in order, published in a few batches, not one by one", .timeLimit(.minutes(2)))
    func gathered() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        var logger = Logger(label: "outbox-test")
        logger.logLevel = .warning
        let topics = Topics()
        let bus = ServiceBus(service: "prober", endpoint: broker.endpoint, instance: "ob-\(UUID().uuidString.prefix(6))", topics: topics, logger: logger)
        let tool = MQTTClient(configuration: .init(port: broker.port, clientID: "tool-\(UUID().uuidString.prefix(6))", cleanStart: true), logger: logger)
        let received = try await Collector.subscribing(tool, to: "cctv/+/icmp")
        tool.start()
        try await tool.waitUntilConnected()
        bus.start()

        let outbox = ResultOutbox()
        let running = Task { await outbox.run(bus: bus, logger: logger) }
        for index in 0..<1_000 {
            let result = ICMPResult(cameraID: "CAM-\(index)", address: "127.0.0.1", status: .success, reason: "ok", sent: 1, received: 1,
                                    lossPercent: 0, startedAt: Date(timeIntervalSince1970: 1_800_000_000), durationMs: 1, prober: "p1")
            await outbox.send(bus.message(topics.icmp("CAM-\(index)"), type: .probeICMP, data: result))
        }
        let messages = await received.wait(forCount: 1_000, timeout: .seconds(30))
        let cameras = messages.compactMap { try? ContractCodec.decode($0.payload, as: ICMPResult.self, expecting: [.probeICMP]).data.cameraID }
        #expect(cameras == (0..<1_000).map { "CAM-\($0)" }, "every result, once, in the order handed over")
        let batches = outbox.batchesPublished.load(ordering: .relaxed)
        #expect(batches >= 2 && batches <= 50, "\(batches) publishAll calls for 1,000 results (at most 500 a batch)")
        running.cancel()
        await running.value
        await bus.shutdown()
        await tool.shutdown(timeout: .seconds(1))
    }

    @Test("results handed over just before a stop are still published: finish() drains the outbox, then run returns", .timeLimit(.minutes(2)))
    func drainedAtStop() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        var logger = Logger(label: "outbox-test")
        logger.logLevel = .warning
        let topics = Topics()
        let bus = ServiceBus(service: "prober", endpoint: broker.endpoint, instance: "ob-\(UUID().uuidString.prefix(6))", topics: topics, logger: logger)
        let tool = MQTTClient(configuration: .init(port: broker.port, clientID: "tool-\(UUID().uuidString.prefix(6))", cleanStart: true), logger: logger)
        let received = try await Collector.subscribing(tool, to: "cctv/+/icmp")
        tool.start()
        try await tool.waitUntilConnected()
        bus.start()

        let outbox = ResultOutbox()
        for index in 0..<100 {
            let result = ICMPResult(cameraID: "CAM-\(index)", address: "127.0.0.1", status: .timeout, reason: "no_reply", sent: 1, received: 0,
                                    lossPercent: 100, startedAt: Date(timeIntervalSince1970: 1_800_000_000), durationMs: 1000, prober: "p1")
            await outbox.send(bus.message(topics.icmp("CAM-\(index)"), type: .probeICMP, data: result))
        }
        outbox.finish()
        await outbox.run(bus: bus, logger: logger)
        #expect(outbox.batches.buffered == 0)
        let messages = await received.wait(forCount: 100, timeout: .seconds(30))
        #expect(messages.count == 100, "all 100 results reached the broker before run returned")
        await bus.shutdown()
        await tool.shutdown(timeout: .seconds(1))
    }
}
