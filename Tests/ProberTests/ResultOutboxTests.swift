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
    /// A broker, the prober's bus on it, and a tool collecting every `cctv/+/icmp` message.
    struct Harness {
        let broker: MosquittoFixture
        let bus: ServiceBus
        let tool: MQTTClient
        let received: Collector<MQTTMessage>
        let logger: Logger
        let topics = Topics()

        static func start() async throws -> Harness {
            let broker = try MosquittoFixture()
            var logger = Logger(label: "outbox-test")
            logger.logLevel = .warning
            let bus = ServiceBus(service: "prober", endpoint: broker.endpoint, instance: "ob-\(UUID().uuidString.prefix(6))", topics: Topics(), logger: logger)
            let tool = MQTTClient(configuration: .init(port: broker.port, clientID: "tool-\(UUID().uuidString.prefix(6))", cleanStart: true), logger: logger)
            let received = try await Collector.subscribing(tool, to: "cctv/+/icmp")
            tool.start()
            try await tool.waitUntilConnected()
            bus.start()
            return Harness(broker: broker, bus: bus, tool: tool, received: received, logger: logger)
        }

        /// The envelope the prober would publish for camera `index`'s ping.
        func result(_ index: Int) -> MQTTOutgoingMessage {
            let result = ICMPResult(cameraID: "CAM-\(index)", address: "127.0.0.1", status: .success, reason: "ok", sent: 1, received: 1,
                                    lossPercent: 0, startedAt: Date(timeIntervalSince1970: 1_800_000_000), durationMs: 1, prober: "p1")
            return bus.message(topics.icmp("CAM-\(index)"), type: .probeICMP, data: result)
        }

        func stop() async {
            await bus.shutdown()
            await tool.shutdown(timeout: .seconds(1))
            broker.stop()
        }
    }

    @Test("1,000 results handed over at once reach a subscriber in order, published in a few batches, not one by one", .timeLimit(.minutes(2)))
    func gathered() async throws {
        let harness = try await Harness.start()
        let outbox = ResultOutbox()
        let running = Task { await outbox.run(bus: harness.bus, logger: harness.logger) }
        for index in 0..<1_000 { await outbox.send(harness.result(index)) }
        let messages = await harness.received.wait(forCount: 1_000, timeout: .seconds(30))
        let cameras = messages.compactMap { try? ContractCodec.decode($0.payload, as: ICMPResult.self, expecting: [.probeICMP]).data.cameraID }
        #expect(cameras == (0..<1_000).map { "CAM-\($0)" }, "every result, once, in the order handed over")
        let batches = outbox.batchesPublished.load(ordering: .relaxed)
        #expect(batches >= 2 && batches <= 50, "\(batches) publishAll calls for 1,000 results (at most 500 a batch)")
        running.cancel()
        await running.value
        await harness.stop()
    }

    @Test("results handed over just before a stop are still published: finish() drains the outbox, then run returns", .timeLimit(.minutes(2)))
    func drainedAtStop() async throws {
        let harness = try await Harness.start()
        let outbox = ResultOutbox()
        for index in 0..<100 { await outbox.send(harness.result(index)) }
        outbox.finish()
        await outbox.run(bus: harness.bus, logger: harness.logger)
        #expect(outbox.batches.buffered == 0)
        let messages = await harness.received.wait(forCount: 100, timeout: .seconds(30))
        #expect(messages.count == 100, "all 100 results reached the broker before run returned")
        await harness.stop()
    }
}
