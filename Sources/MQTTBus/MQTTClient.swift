import CMosquitto
import Foundation
import Logging
import Metrics
import Synchronization

/// An MQTT v5 client over libmosquitto with an async Swift API.
///
/// One client owns one broker connection and one network thread. The thread polls the socket
/// itself and drives libmosquitto's read/write/keep-alive steps, so that a slow subscriber can
/// pause reading (back-pressure, never dropping), and does its own reconnecting (capped exponential back-off with jitter)
/// with `mosquitto_connect_bind_v5`, because libmosquitto's built-in reconnect sends CONNECT
/// without properties, which would drop the v5 Session Expiry Interval and with it the
/// persistent session. Subscriptions are re-sent on every connect.
///
/// ```swift
/// let client = MQTTClient(configuration: .init(port: 1883, clientID: "registry-1"), logger: logger)
/// client.start()
/// try await client.publish("cctv/CAM-1/config", payload: bytes, retain: true)
/// try await client.withSubscription(to: "cctv/+/config") { configs in
///     for await message in configs { … }
/// }
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
        try await wait(for: .connected, timeout: timeout, operation: "connect to \(configuration.host):\(configuration.port)")
    }

    /// Waits until the client is connected and the broker has acknowledged every subscription
    /// of this connection (they are re-sent after each CONNACK): from then on, a message
    /// published by anyone reaches them.
    /// - Throws: ``MQTTError/timedOut(operation:seconds:)`` or ``MQTTError/shutDown``.
    public func waitUntilSubscribed(timeout: Duration = .seconds(30)) async throws {
        try await wait(for: .subscribed, timeout: timeout, operation: "subscribe at \(configuration.host):\(configuration.port)")
    }

    private func wait(for milestone: LinkMilestone, timeout: Duration, operation: String) async throws {
        let id = UUID()
        try await withTimeout(timeout, operation: operation) {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let outcome: Result<Void, any Error>? = self.core.state.withLock { state in
                        if state.stopped { return .failure(MQTTError.shutDown) }
                        if state.reached(milestone) { return .success(()) }
                        state.linkWaiters[id] = (milestone, continuation)
                        return nil
                    }
                    if let outcome { continuation.resume(with: outcome) }
                }
            } onCancel: {
                let waiter = self.core.state.withLock { $0.linkWaiters.removeValue(forKey: id)?.continuation }
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
        try await core.publish(topic: topic, payload: payload, qos: qos, retain: retain, properties: properties, timeout: timeout)
    }

    /// Publishes many QoS 1 messages in order and returns once the broker has acknowledged all of
    /// them (the first refusal is thrown after the rest were acknowledged). They are queued with
    /// the library at once, which keeps Send Maximum of them in flight: for bulk publishing (an
    /// import's definitions) without a task and a wait per message. Callers bound the memory by
    /// the size of what they pass (e.g. a page of 1,000). Waiting, cancellation and `timeout` work
    /// as for ``publish(_:payload:qos:retain:properties:timeout:)``.
    public func publishAll(_ messages: [MQTTOutgoingMessage], timeout: Duration? = nil) async throws {
        if let invalid = messages.first(where: { !TopicFilter.isValidTopic($0.topic) }) { throw MQTTError.invalidTopic(invalid.topic) }
        try await core.publishAll(messages, timeout: timeout)
    }

    /// Subscribes to `filters` (`+`/`#` wildcards, `$share/group/…` allowed) for the duration of
    /// `body`, which gets every matching message in the order the broker sent it. The
    /// subscription ends when `body` returns or throws: the filters are unsubscribed (now, or on
    /// the next connect when offline), and the messages not yet taken are dropped with it —
    /// except once the client stops receiving (``stopReceiving()``, a shutdown): then a persistent
    /// session keeps its subscriptions at the broker, so what is published while the process is
    /// away is queued for its next start.
    ///
    /// Nothing is dropped while `body` runs: when the consumer falls behind by
    /// `configuration.subscriptionHighWatermark` messages the client stops reading its connection
    /// (every subscription of this client waits) until the consumer has caught up to half of it;
    /// meanwhile the broker holds the backlog in the session. So don't await a publish or a
    /// request of this same client from inside `body` while many messages are arriving: it
    /// still completes, but reads past the watermark. `ServiceBus` publishes on a second client.
    ///
    /// The first subscription of a filter in this process's lifetime gets the broker's retained
    /// messages even when the persistent session already had the filter. Returns after the
    /// broker's SUBACK when connected; offline it calls `body` at once and subscribes when the
    /// link comes up.
    ///
    /// ```swift
    /// try await client.withSubscription(to: ["cctv/+/config"]) { configs in
    ///     for await message in configs { apply(message) }
    /// }
    /// ```
    public func withSubscription<Result>(
        to filters: [String],
        qos: MQTTQoS = .atLeastOnce,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (MQTTSubscription) async throws -> Result
    ) async throws -> Result {
        guard !filters.isEmpty else { throw MQTTError.invalidTopic("") }
        for filter in filters where !TopicFilter.isValidFilter(filter) { throw MQTTError.invalidTopic(filter) }
        let (id, buffer) = await core.openSubscription(filters: filters, qos: qos)
        defer { core.closeSubscription(id: id) }
        return try await body(MQTTSubscription(buffer: buffer))
    }

    /// ``withSubscription(to:qos:isolation:_:)`` for one filter.
    public func withSubscription<Result>(
        to filter: String,
        qos: MQTTQoS = .atLeastOnce,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (MQTTSubscription) async throws -> Result
    ) async throws -> Result {
        try await withSubscription(to: [filter], qos: qos, body)
    }

    /// The message the broker holds retained on `topic` right now, or `nil` when there is none.
    ///
    /// Subscribes with "send retained always", then publishes a non-retained probe on the same
    /// topic: the broker queues the retained message right after the SUBACK, before anything
    /// published later, so the probe arriving first proves there is none. Other subscribers of
    /// `topic` see the probe (payload `probe-…`).
    /// - Throws: ``MQTTError/timedOut(operation:seconds:)`` when the link is down or flapping.
    public func retainedMessage(on topic: String, timeout: Duration = .seconds(10)) async throws -> MQTTMessage? {
        guard TopicFilter.isValidTopic(topic) else { throw MQTTError.invalidTopic(topic) }
        try await waitUntilConnected(timeout: timeout)
        let probe = Array("probe-\(UUID().uuidString)".utf8)
        return try await withTimeout(timeout, operation: "read the retained message of \(topic)") {
            try await self.withSubscription(to: [topic]) { messages -> MQTTMessage? in
                try await self.core.publish(topic: topic, payload: probe, qos: .atLeastOnce, retain: false, properties: .init())
                for await message in messages {
                    if message.retain { return message }
                    if message.payload == probe { return nil }
                }
                throw MQTTError.shutDown
            }
        }
    }

    /// Stops reading the connection for good, before a shutdown: every subscription's consumer
    /// gets what was already read, then its sequence ends. Messages the broker has not sent stay
    /// unacknowledged in the persistent session for the next run (none is lost on the way out).
    public func stopReceiving() {
        core.stopReceiving()
    }

    /// How many times this client has connected (CONNACK accepted) so far; 0 before the first.
    /// A change means a new link, possibly to a broker that restarted and lost recent state.
    public var connectionEpoch: UInt64 { core.state.withLock { $0.epoch } }

    /// Whether the broker resumed a stored session on the latest connect (CONNACK session present).
    public var resumedSession: Bool { core.state.withLock { $0.sessionPresent } }

    /// Messages read but not yet taken by consumers, over every subscription of this client.
    /// Bounded: about twice `subscriptionHighWatermark` per subscription at most.
    public var bufferedMessages: Int { core.bufferedMessages }

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

/// The messages of one scoped subscription (see ``MQTTClient/withSubscription(to:qos:isolation:_:)``),
/// in the order the broker sent them. One consumer; the sequence ends when the subscription does,
/// when the client stops receiving (after what was already read), or when the awaiting task is
/// cancelled.
public struct MQTTSubscription: AsyncSequence, Sendable {
    public typealias Element = MQTTMessage
    public typealias Failure = Never
    let buffer: SubscriptionBuffer

    /// The deepest this subscription's buffer has been (what the watermarks bound).
    public var peakDepth: Int { buffer.peakDepth }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let buffer: SubscriptionBuffer
        public mutating func next() async -> MQTTMessage? { await buffer.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: buffer) }
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
