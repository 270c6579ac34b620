import CMosquitto
import Foundation
import Logging
import Metrics
import Synchronization

/// An MQTT v5 client over libmosquitto with an async Swift API.
///
/// One client owns one broker connection and one network thread. The thread runs
/// `mosquitto_loop` and does its own reconnecting (capped exponential back-off with jitter)
/// with `mosquitto_connect_bind_v5`, because libmosquitto's built-in reconnect sends CONNECT
/// without properties, which would drop the v5 Session Expiry Interval and with it the
/// persistent session. Subscriptions are re-sent on every connect.
///
/// ```swift
/// let client = MQTTClient(configuration: .init(port: 1883, clientID: "registry-1"), logger: logger)
/// client.start()
/// let configs = try await client.subscribe("cctv/+/config")
/// try await client.publish("cctv/CAM-1/config", payload: bytes, retain: true)
/// for await message in configs { … }
/// await client.shutdown()
/// ```
public final class MQTTClient: Sendable {
    /// The configuration this client was made with.
    public let configuration: MQTTConfiguration
    let core: ClientCore

    /// Creates a client; nothing touches the network until ``start()``.
    public init(configuration: MQTTConfiguration, logger: Logger) {
        MosquittoLibrary.initialiseOnce()
        self.configuration = configuration
        self.core = ClientCore(configuration: configuration, logger: logger)
    }

    deinit {
        core.requestStop(graceful: false)
    }

    /// Starts the network thread, which connects and keeps reconnecting until ``shutdown(timeout:)``.
    public func start() {
        core.startThread()
    }

    /// Whether the broker link is up right now.
    public var isConnected: Bool { core.state.withLock { $0.connected } }

    /// The connection state changes, as they happen (latest 16 kept for a slow reader).
    public func connectionStates() -> AsyncStream<MQTTConnectionState> {
        core.addStateObserver()
    }

    /// Waits until the client is connected (returns at once when it is).
    /// - Throws: ``MQTTError/timedOut(operation:seconds:)`` or ``MQTTError/shutDown``.
    public func waitUntilConnected(timeout: Duration = .seconds(30)) async throws {
        let id = UUID()
        try await withTimeout(timeout, operation: "connect to \(configuration.host):\(configuration.port)") {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let outcome: Result<Void, any Error>? = self.core.state.withLock { state in
                        if state.stopped { return .failure(MQTTError.shutDown) }
                        if state.connected { return .success(()) }
                        state.connectionWaiters[id] = continuation
                        return nil
                    }
                    if let outcome { continuation.resume(with: outcome) }
                }
            } onCancel: {
                let waiter = self.core.state.withLock { $0.connectionWaiters.removeValue(forKey: id) }
                waiter?.resume(throwing: CancellationError())
            }
        }
    }

    /// Publishes a message.
    ///
    /// QoS 0 returns once handed to the library. QoS 1 returns when the broker's PUBACK
    /// arrives; while disconnected the message waits in the library's queue and is sent on
    /// reconnect. A `timeout` bounds the wait only: a timed-out QoS 1 message stays queued.
    /// Cancelling the calling task ends the wait at once (`CancellationError`), the message
    /// likewise staying queued; so a task blocked on a publish while the broker is away can still
    /// be shut down.
    /// - Parameters:
    ///   - topic: a topic without wildcards.
    ///   - payload: the bytes; an empty payload with `retain` deletes the retained message.
    ///   - qos: delivery guarantee, QoS 1 by default.
    ///   - retain: whether the broker keeps it as the topic's last known value.
    ///   - properties: MQTT v5 properties (response topic, correlation data, user properties).
    ///   - timeout: optional bound on waiting for the acknowledgement.
    public func publish(
        _ topic: String,
        payload: [UInt8],
        qos: MQTTQoS = .atLeastOnce,
        retain: Bool = false,
        properties: MQTTProperties = .init(),
        timeout: Duration? = nil
    ) async throws {
        guard TopicFilter.isValidTopic(topic) else { throw MQTTError.invalidTopic(topic) }
        if let timeout {
            try await withTimeout(timeout, operation: "publish to \(topic)") {
                try await self.core.publish(topic: topic, payload: payload, qos: qos, retain: retain, properties: properties)
            }
        } else {
            try await core.publish(topic: topic, payload: payload, qos: qos, retain: retain, properties: properties)
        }
    }

    /// Subscribes to a filter (`+`/`#` wildcards, `$share/group/…` allowed) and returns the
    /// matching messages as an async sequence. The subscription is re-sent on every reconnect
    /// and removed locally when the sequence is dropped or its task cancelled; the broker is told
    /// (UNSUBSCRIBE) only with `cleanStart`: a persistent session keeps it, so messages published
    /// while the process is stopped are queued for its next start.
    ///
    /// If the consumer falls behind by more than `configuration.subscriptionBuffer` messages,
    /// the oldest are dropped and counted in `mqtt_messages_dropped_total`: a slow consumer
    /// never stalls the network thread or other subscriptions.
    /// Returns after the broker's SUBACK when connected; when offline it returns at once and
    /// the subscription is sent when the link comes up.
    public func subscribe(_ filter: String, qos: MQTTQoS = .atLeastOnce) async throws -> MQTTSubscription {
        guard TopicFilter.isValidFilter(filter) else { throw MQTTError.invalidTopic(filter) }
        let (stream, continuation) = AsyncStream<MQTTMessage>.makeStream(
            bufferingPolicy: .bufferingNewest(max(1, configuration.subscriptionBuffer)))
        let id = core.addSubscription(filter: filter, qos: qos, continuation: continuation)
        continuation.onTermination = { [weak core] _ in core?.removeSubscription(id: id) }
        try await core.sendSubscribe(filter: filter, qos: qos)
        return MQTTSubscription(stream: stream)
    }

    /// Sends a request and waits for the answer (MQTT v5 response topic + correlation data).
    /// The reply topic is `{replyPrefix}/{username}` (or `/{clientID}` without a user name: a
    /// locked-down broker makes the user name the client id, and lets each account read only its
    /// own reply topic); it is subscribed once, on first use.
    public func request(
        _ topic: String,
        payload: [UInt8],
        replyPrefix: String = "replies",
        timeout: Duration = .seconds(10)
    ) async throws -> MQTTMessage {
        let replyTopic = "\(replyPrefix)/\(configuration.username ?? configuration.clientID)"
        try await core.ensureReplySubscription(replyTopic)
        let correlation = Array(UUID().uuidString.utf8)
        return try await withTimeout(timeout, operation: "request on \(topic)") {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<MQTTMessage, any Error>) in
                    let stopped = self.core.state.withLock { state -> Bool in
                        if state.stopped { return true }
                        state.requestWaiters[correlation] = continuation
                        return false
                    }
                    if stopped { continuation.resume(throwing: MQTTError.shutDown); return }
                    Task {
                        do {
                            try await self.core.publish(
                                topic: topic, payload: payload, qos: .atLeastOnce, retain: false,
                                properties: .init(responseTopic: replyTopic, correlationData: correlation, contentType: "application/json"))
                        } catch {
                            let waiter = self.core.state.withLock { $0.requestWaiters.removeValue(forKey: correlation) }
                            waiter?.resume(throwing: error)
                        }
                    }
                }
            } onCancel: {
                let waiter = self.core.state.withLock { $0.requestWaiters.removeValue(forKey: correlation) }
                waiter?.resume(throwing: CancellationError())
            }
        }
    }

    /// Answers a request received as `message` (no-op when it carried no response topic).
    public func reply(to message: MQTTMessage, payload: [UInt8]) async throws {
        guard let responseTopic = message.properties.responseTopic else { return }
        try await publish(
            responseTopic, payload: payload, qos: .atLeastOnce, retain: false,
            properties: .init(correlationData: message.properties.correlationData, contentType: "application/json"),
            timeout: .seconds(10))
    }

    /// Stops the client. With `graceful` the pending QoS 1 messages get up to `timeout` to be
    /// acknowledged and a DISCONNECT is sent (so the broker does not publish the will); without
    /// it the socket is just closed. Waits for the network thread to end.
    public func shutdown(graceful: Bool = true, timeout: Duration = .seconds(5)) async {
        if graceful {
            let deadline = ContinuousClock.now.advanced(by: timeout)
            while core.state.withLock({ $0.connected && !$0.publishWaiters.isEmpty }), ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        core.requestStop(graceful: graceful)
        let deadline = ContinuousClock.now.advanced(by: timeout + .seconds(2))
        while !core.threadFinished, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// The async sequence of messages for one subscription.
public struct MQTTSubscription: AsyncSequence, Sendable {
    public typealias Element = MQTTMessage
    let stream: AsyncStream<MQTTMessage>
    public func makeAsyncIterator() -> AsyncStream<MQTTMessage>.Iterator { stream.makeAsyncIterator() }
}

/// Runs `body` with a deadline; throws ``MQTTError/timedOut(operation:seconds:)`` when it passes.
func withTimeout<T: Sendable>(
    _ timeout: Duration, operation: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            throw MQTTError.timedOut(operation: operation, seconds: seconds)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
