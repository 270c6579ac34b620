import Foundation
import Logging
import Synchronization
import Testing
@testable import MQTTBus
import TestSupport

private func client(_ broker: MosquittoFixture, id: String = "bp-\(UUID().uuidString.prefix(8))", watermark: Int = 1_000,
                    receiveMaximum: Int = 100, keepAlive: Int = 30, cleanStart: Bool = false) -> MQTTClient {
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    return MQTTClient(
        configuration: .init(host: "127.0.0.1", port: broker.port, clientID: id, cleanStart: cleanStart, keepAlive: keepAlive,
                             reconnectDelay: (0.1, 0.5), subscriptionHighWatermark: watermark, receiveMaximum: receiveMaximum),
        logger: logger)
}

/// Publishes `count` numbered messages ("0", "1", …) on `topic`, QoS 1, waiting for each PUBACK.
private func publishNumbered(_ count: Int, on topic: String, from publisher: MQTTClient) async throws {
    for i in 0..<count { try await publisher.publish(topic, payload: Array("\(i)".utf8)) }
}

/// A gate the test opens to let a deliberately stalled consumer go on.
private final class Gate: Sendable {
    private let open = Atomic<Bool>(false)
    func release() { open.store(true, ordering: .releasing) }
    func wait() async { while !open.load(ordering: .acquiring) { try? await Task.sleep(for: .milliseconds(5)) } }
}

/// A consumer stalled until `gate` opens, then taking `count` messages: their texts in arrival order.
private func stalledConsumer(_ messages: MQTTSubscription, gate: Gate, count: Int) async -> [String] {
    await gate.wait()
    var texts: [String] = []
    for await message in messages {
        texts.append(message.text ?? "?")
        if texts.count == count { break }
    }
    return texts
}

@Suite("back-pressure: a slow subscriber slows its own reads, nothing is dropped", .serialized, .runsAlone)
struct BackPressureTests {
    /// Publishes `count` numbered messages with `publish` into a subscriber of `filter` (watermark
    /// 100, Receive Maximum 20) whose consumer takes nothing until they are all at the broker: the
    /// subscriber must stop reading at its watermark and leave the rest in the session. Returns the
    /// texts the consumer then took, in order.
    private func throughStalledSubscriber(_ count: Int, filter: String,
                                          _ publish: @escaping @Sendable (MQTTClient) async throws -> Void) async throws -> [String] {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        let watermark = 100
        let subscriber = client(broker, watermark: watermark, receiveMaximum: 20)
        let publisher = client(broker)
        subscriber.start(); publisher.start()
        try await subscriber.waitUntilConnected(); try await publisher.waitUntilConnected()
        let gate = Gate()
        let received = try await subscriber.withSubscription(to: filter) { messages -> [String] in
            async let consumed = stalledConsumer(messages, gate: gate, count: count)
            try await publish(publisher)
            #expect(await eventually { subscriber.bufferedMessages >= watermark }, "the subscriber filled its buffer")
            #expect(subscriber.bufferedMessages <= 2 * watermark, "held \(subscriber.bufferedMessages) messages, watermark \(watermark)")
            gate.release()
            return await consumed
        }
        #expect(subscriber.core.pressure.isPaused == false)
        await subscriber.shutdown(); await publisher.shutdown()
        return received
    }

    @Test("a stalled subscriber receives all 5,000 messages in order while holding at most twice its watermark")
    func slowSubscriberInOrderBounded() async throws {
        let count = 5_000
        let received = try await throughStalledSubscriber(count, filter: "slow/t") { publisher in
            try await publishNumbered(count, on: "slow/t", from: publisher)
        }
        #expect(received == (0..<count).map(String.init), "all \(count) messages in publish order (got \(received.count))")
    }

    @Test("a bulk publish of 5,000 messages in one call returns after the broker acknowledged them all, and a stalled subscriber gets each once, in order")
    func bulkPublishIntoStalledSubscriber() async throws {
        let count = 5_000
        let received = try await throughStalledSubscriber(count, filter: "bulk/+") { publisher in
            // Two topics, as a camera's definition and its event: the order holds across them.
            try await publisher.publishAll((0..<count).map { MQTTOutgoingMessage(topic: "bulk/\($0 % 2)", payload: Array("\($0)".utf8), retain: false) })
            #expect(publisher.core.state.withLock { $0.publishWaiters.isEmpty }, "every PUBACK came before the call returned")
            try await publisher.publishAll([])
            await #expect(throws: MQTTError.self) { try await publisher.publishAll([MQTTOutgoingMessage(topic: "bulk/#", payload: [])]) }
        }
        #expect(received == (0..<count).map(String.init), "all \(count) messages once, in publish order (got \(received.count))")
    }

    @Test("a pause longer than two keep-alive periods keeps the link and loses nothing")
    func longPauseKeepsLink() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        let watermark = 50
        let subscriber = client(broker, watermark: watermark, receiveMaximum: 10, keepAlive: 5)
        let publisher = client(broker)
        subscriber.start(); publisher.start()
        try await subscriber.waitUntilConnected(); try await publisher.waitUntilConnected()
        let count = 500
        let gate = Gate()
        let epochBefore = subscriber.connectionEpoch
        let received = try await subscriber.withSubscription(to: "pause/t") { messages -> [String] in
            async let consumed = stalledConsumer(messages, gate: gate, count: count)
            try await publishNumbered(count, on: "pause/t", from: publisher)
            // Paused with the broker holding the rest; wait for three keep-alive reads, i.e. well
            // past the 2 × 5 s after which libmosquitto would have closed an unread link.
            #expect(await eventually(timeout: .seconds(60)) { subscriber.core.keepAliveReads.load(ordering: .relaxed) >= 3 })
            gate.release()
            return await consumed
        }
        #expect(received == (0..<count).map(String.init))
        #expect(subscriber.connectionEpoch == epochBefore, "the link was kept through the pause")
        await subscriber.shutdown(); await publisher.shutdown()
    }

    @Test("stopping the receiving side hands over what was read and leaves the rest in the session, exactly once")
    func stopReceivingLosesNothing() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        let id = "drain-\(UUID().uuidString.prefix(6))"
        let publisher = client(broker)
        publisher.start()
        try await publisher.waitUntilConnected()
        let count = 600
        let first = client(broker, id: id, watermark: 100, receiveMaximum: 20)
        first.start()
        try await first.waitUntilConnected()
        let before = try await first.withSubscription(to: "drain/t") { messages -> [String] in
            try await publishNumbered(count, on: "drain/t", from: publisher)
            #expect(await eventually { first.bufferedMessages >= 100 })
            first.stopReceiving()
            var texts: [String] = []
            for await message in messages { texts.append(message.text ?? "?") }
            await first.shutdown()
            return texts
        }
        #expect(!before.isEmpty && before.count < count, "the first run took only what it had read (\(before.count))")
        let second = client(broker, id: id)
        let after = try await Collector.subscribing(second, to: "drain/t")
        second.start()
        let rest = await after.wait(forCount: count - before.count, timeout: .seconds(20)).compactMap(\.text)
        #expect(before + rest == (0..<count).map(String.init), "every message once, in order: \(before.count) + \(rest.count)")
        await second.shutdown(); await publisher.shutdown()
    }

    @Test("the first subscription of a process gets the retained messages even when the persistent session is resumed")
    func retainedOnFirstSubscribeOfProcess() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        let publisher = client(broker)
        publisher.start()
        try await publisher.waitUntilConnected()
        try await publisher.publish("cctv/CAM-1/config", payload: Array("definition".utf8), retain: true)
        let id = "prober-\(UUID().uuidString.prefix(6))"
        let firstRun = client(broker, id: id)
        let seen = try await Collector.subscribing(firstRun, to: "cctv/+/config")
        firstRun.start()
        #expect(await seen.first { $0.text == "definition" } != nil)
        await firstRun.shutdown(graceful: false) // like a crash: the session, with its subscription, stays
        let secondRun = client(broker, id: id)
        let again = try await Collector.subscribing(secondRun, to: "cctv/+/config")
        secondRun.start()
        try await secondRun.waitUntilConnected()
        #expect(secondRun.resumedSession, "the broker resumed the session")
        #expect(await again.first(timeout: .seconds(10)) { $0.text == "definition" && $0.retain } != nil,
                "a restarted subscriber got the retained definition again")
        await secondRun.shutdown(); await publisher.shutdown()
    }

    @Test("a scoped subscription is unsubscribed when its closure throws")
    func scopedSubscriptionEndsOnThrow() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        struct Planned: Error {}
        let id = "scoped-\(UUID().uuidString.prefix(6))"
        let scoped = client(broker, id: id)
        scoped.start()
        try await scoped.waitUntilConnected()
        await #expect(throws: Planned.self) {
            try await scoped.withSubscription(to: "scoped/t") { _ in throw Planned() }
        }
        #expect(scoped.core.state.withLock { $0.filters.isEmpty && $0.subscriptions.isEmpty })
        // A PUBACK on the same connection: the broker has processed the UNSUBSCRIBE sent before it.
        try await scoped.publish("probe/t", payload: [0])
        await scoped.shutdown()
        // A message published to the old filter while the session is away must not be queued for it.
        let publisher = client(broker)
        publisher.start()
        try await publisher.waitUntilConnected()
        try await publisher.publish("scoped/t", payload: Array("queued?".utf8))
        let again = client(broker, id: id)
        let everything = try await Collector.subscribing(again, to: "#")
        again.start()
        try await again.waitUntilSubscribed()
        try await publisher.publish("scoped/end", payload: Array("end".utf8))
        #expect(await everything.first { $0.text == "end" } != nil)
        #expect(!everything.all.contains { $0.text == "queued?" }, "the ended subscription still queued messages")
        await again.shutdown(); await publisher.shutdown()
    }

    @Test("the retained message of a topic is read back, and its absence is told apart")
    func retainedMessageReadBack() async throws {
        let broker = try MosquittoFixture()
        defer { broker.stop() }
        let reader = client(broker)
        reader.start()
        try await reader.waitUntilConnected()
        #expect(try await reader.retainedMessage(on: "services/x/retained") == nil)
        try await reader.publish("services/x/retained", payload: Array("token-1".utf8), retain: true)
        #expect(try await reader.retainedMessage(on: "services/x/retained")?.text == "token-1")
        await reader.shutdown()
    }
}
