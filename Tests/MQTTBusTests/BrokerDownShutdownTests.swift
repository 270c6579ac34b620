import Foundation
import Logging
import Synchronization
import Testing
@testable import MQTTBus
import TestSupport

/// While the broker is down nothing may hold up a shutdown: a task waiting for a PUBACK that
/// cannot come must end when it is cancelled (SIGTERM while the broker is down).
@Suite("MQTT client while the broker is down", .runsAlone)
struct BrokerDownShutdownTests {
    func clientToNowhere() throws -> MQTTClient {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let port = try FreePort.find() // nothing listens there
        return MQTTClient(configuration: .init(port: port, clientID: "down-\(UUID().uuidString.prefix(6))", reconnectDelay: (0.1, 0.5)), logger: logger)
    }

    /// Starts `publish` on `client` (whose broker is down), checks it is still waiting after 0.3 s,
    /// cancels its task and checks it ends at once with a `CancellationError`.
    func expectCancellationEnds(_ client: MQTTClient, _ publish: @escaping @Sendable (MQTTClient) async throws -> Void) async throws {
        let outcome = Mutex<String?>(nil)
        let waiting = Task {
            do {
                try await publish(client)
                outcome.withLock { $0 = "published?" }
            } catch is CancellationError {
                outcome.withLock { $0 = "cancelled" }
            } catch {
                outcome.withLock { $0 = "\(error)" }
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(outcome.withLock { $0 } == nil, "still waiting for the broker")
        waiting.cancel()
        #expect(await eventually(timeout: .seconds(5)) { outcome.withLock { $0 } != nil })
        #expect(outcome.withLock { $0 } == "cancelled")
    }

    @Test("a QoS 1 publish waiting for a broker that is down ends as soon as its task is cancelled")
    func cancelledPublishEnds() async throws {
        let client = try clientToNowhere()
        client.start()
        try await expectCancellationEnds(client) { try await $0.publish("services/x/availability", payload: Array("offline".utf8)) }
        await client.shutdown(timeout: .seconds(1))
    }

    @Test("a bulk publish waiting for a broker that is down ends as soon as its task is cancelled, and its timeout is honoured")
    func cancelledBulkPublishEnds() async throws {
        let client = try clientToNowhere()
        client.start()
        let messages = (0..<50).map { MQTTOutgoingMessage(topic: "cctv/CAM-\($0)/config", payload: Array("{}".utf8), retain: true) }
        try await expectCancellationEnds(client) { try await $0.publishAll(messages) }
        #expect(client.core.state.withLock { $0.publishWaiters.isEmpty }, "the cancelled call left no waiter behind")
        let started = ContinuousClock.now
        await #expect(throws: MQTTError.self) { try await client.publishAll(messages, timeout: .milliseconds(300)) }
        #expect(ContinuousClock.now - started < .seconds(5), "a generous bound: the timeout is 0.3 s")
        await client.shutdown(timeout: .seconds(1))
    }

    @Test("a short publish timeout is honoured while a longer one waits, and the longer one still waits")
    func shorterTimeoutAfterLonger() async throws {
        let client = try clientToNowhere()
        client.start()
        let long = Task { try await client.publish("a/long", payload: [1], timeout: .seconds(600)) }
        try await Task.sleep(for: .milliseconds(100))
        let started = ContinuousClock.now
        await #expect(throws: MQTTError.self) {
            try await client.publish("a/short", payload: [1], timeout: .milliseconds(300))
        }
        #expect(ContinuousClock.now - started < .seconds(5), "a generous bound: the timeout is 0.3 s, the other one 600 s")
        #expect(client.core.state.withLock { $0.publishWaiters.count } == 1, "the 600 s publish still waits")
        long.cancel()
        await #expect(throws: CancellationError.self) { try await long.value }
        await client.shutdown(timeout: .seconds(1))
    }

    @Test("a publish timeout is honoured while the broker is down")
    func timeoutHonoured() async throws {
        let client = try clientToNowhere()
        client.start()
        let started = ContinuousClock.now
        await #expect(throws: MQTTError.self) {
            try await client.publish("a/b", payload: [1], timeout: .milliseconds(300))
        }
        #expect(ContinuousClock.now - started < .seconds(5), "a generous bound: the timeout is 0.3 s")
        await client.shutdown(timeout: .seconds(1))
    }
}
