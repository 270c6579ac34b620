import CMosquitto
import Foundation
import Logging
import Metrics
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Calls `mosquitto_lib_init` exactly once, before any client exists (it is not thread safe).
enum MosquittoLibrary {
    private static let initialised: Bool = {
        mosquitto_lib_init()
        return true
    }()

    static func initialiseOnce() { _ = initialised }
}

/// One local subscription: the filters it covers and the buffer it feeds.
struct SubscriptionEntry {
    let filters: [String]
    let qos: MQTTQoS
    let buffer: SubscriptionBuffer
}

/// One filter as the broker knows it: how many local subscriptions use it, and whether the
/// broker has been asked, in this process's lifetime, to send its retained messages.
struct BrokerFilter {
    var users: Int
    var qos: MQTTQoS
    var retainedAsked: Bool
}

/// What a caller of ``MQTTClient/waitUntilConnected(timeout:)`` or
/// ``MQTTClient/waitUntilSubscribed(timeout:)`` waits for.
enum LinkMilestone {
    case connected
    case subscribed
}

/// One `publish` or `publishAll` call waiting for the PUBACKs of its QoS 1 messages: one object
/// for all of them (its message ids map to it), so a page of a bulk publish costs one
/// continuation, not one task and continuation per message.
final class PublishBatch: Sendable {
    private struct Progress {
        var remaining: Int
        var failure: (any Error)?
        var continuation: CheckedContinuation<Void, any Error>?
        /// Released before every acknowledgement came (cancelled, shut down, refused by the library).
        var abandoned: (any Error)?
    }

    private let progress: Mutex<Progress>
    /// When the caller stops waiting (``MQTTError/timedOut(operation:seconds:)``), or nil to wait
    /// until acknowledged, cancelled or shut down. Enforced by ``ClientCore/sweepPublishDeadlines(generation:)``.
    let deadline: ContinuousClock.Instant?
    let timeout: Duration?
    /// For the timeout's error only: the first topic and how many messages.
    let firstTopic: String
    let count: Int

    init(count: Int, firstTopic: String = "", timeout: Duration? = nil) {
        progress = Mutex(Progress(remaining: count))
        self.count = count
        self.firstTopic = firstTopic
        self.timeout = timeout
        deadline = timeout.map { ContinuousClock.now + $0 }
    }

    /// What the caller is told when the deadline passes.
    var timeoutError: MQTTError {
        let seconds = timeout.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 } ?? 0
        return .timedOut(operation: count == 1 ? "publish to \(firstTopic)" : "publish \(count) messages", seconds: seconds)
    }

    /// Hands over the caller's continuation; `false` (and resumed) when the batch was abandoned first.
    func attach(_ continuation: CheckedContinuation<Void, any Error>) -> Bool {
        let abandoned = progress.withLock { progress -> (any Error)? in
            if let error = progress.abandoned { return error }
            progress.continuation = continuation
            return nil
        }
        if let abandoned { continuation.resume(throwing: abandoned); return false }
        return true
    }

    /// One message was acknowledged (`failure` when the broker refused it); the caller resumes
    /// after the last one, with the first refusal if any.
    func settle(_ failure: (any Error)?) {
        let finished = progress.withLock { progress -> (CheckedContinuation<Void, any Error>, (any Error)?)? in
            if progress.failure == nil { progress.failure = failure }
            progress.remaining -= 1
            guard progress.remaining <= 0, let continuation = progress.continuation else { return nil }
            progress.continuation = nil
            return (continuation, progress.failure)
        }
        guard let (continuation, failure) = finished else { return }
        if let failure { continuation.resume(throwing: failure) } else { continuation.resume() }
    }

    /// Releases the caller at once with `error`; later acknowledgements change nothing.
    func abandon(_ error: any Error) {
        let continuation = progress.withLock { progress -> CheckedContinuation<Void, any Error>? in
            if progress.abandoned == nil { progress.abandoned = error }
            defer { progress.continuation = nil }
            return progress.continuation
        }
        continuation?.resume(throwing: error)
    }
}

/// Everything the network thread and the callers share, behind one `Mutex`.
struct CoreState {
    var connected = false
    var stopped = false
    var stopGraceful = false
    var threadStarted = false
    var justConnected = false
    /// Successful connections so far (CONNACK accepted); 0 before the first.
    var epoch: UInt64 = 0
    /// Whether the broker resumed a stored session on the latest connect.
    var sessionPresent = false
    /// `false` once ``ClientCore/stopReceiving()`` took effect: the socket is never read again.
    var receiving = true
    var receiveStopRequested = false
    /// Callers waiting for the link to be connected, or connected and subscribed.
    var linkWaiters: [UUID: (milestone: LinkMilestone, continuation: CheckedContinuation<Void, any Error>)] = [:]
    var publishWaiters: [Int32: PublishBatch] = [:]
    /// The task that ends publish waits at their deadline (``ClientCore/sweepPublishDeadlines(generation:)``),
    /// when it next wakes, and which one it is (a replaced sweeper leaves the state alone).
    var deadlineSweeper: Task<Void, Never>?
    var deadlineSweeperWakesAt: ContinuousClock.Instant?
    var deadlineSweeperGeneration: UInt64 = 0
    var subackWaiters: [Int32: CheckedContinuation<Void, Never>] = [:]
    /// SUBSCRIBEs that asked for the retained messages, by message id, until their SUBACK.
    var retainSubacks: [Int32: [String]] = [:]
    /// The SUBSCRIBEs sent after the latest CONNACK whose SUBACK has not come yet; `nil` before
    /// they are sent.
    var resubscribing: Set<Int32>? = nil
    var subscriptions: [UInt64: SubscriptionEntry] = [:]
    var filters: [String: BrokerFilter] = [:]
    /// Filters whose last local subscription ended while offline: unsubscribed on the next connect.
    var unsubscribeOnConnect: Set<String> = []
    var nextSubscriptionID: UInt64 = 0
    var replyTopics: Set<String> = []
    var requestWaiters: [[UInt8]: CheckedContinuation<MQTTMessage, any Error>] = [:]
    var observers: [UUID: AsyncStream<MQTTConnectionState>.Continuation] = [:]
    var lastState: MQTTConnectionState = .connecting

    /// Connected, and every subscription of this connection acknowledged by the broker.
    var subscribed: Bool { connected && resubscribing?.isEmpty == true }

    func reached(_ milestone: LinkMilestone) -> Bool {
        switch milestone {
        case .connected: connected
        case .subscribed: subscribed
        }
    }

    /// Removes and returns the waiters whose milestone has been reached.
    mutating func takeReachedWaiters() -> [CheckedContinuation<Void, any Error>] {
        let reachedIDs = linkWaiters.filter { reached($0.value.milestone) }.map(\.key)
        return reachedIDs.compactMap { linkWaiters.removeValue(forKey: $0)?.continuation }
    }

    /// Whether something is waiting for a packet from the broker (an acknowledgement or a reply).
    var awaitsBroker: Bool {
        !subackWaiters.isEmpty || !publishWaiters.isEmpty || !requestWaiters.isEmpty
    }
}

/// Owns the `struct mosquitto *`, the shared state and the network thread.
///
/// `@unchecked Sendable`: the pointer is used from several threads, which libmosquitto
/// allows once `mosquitto_threaded_set` is on; all Swift state is behind `state`'s `Mutex`.
/// The handle is destroyed only in `deinit`, after the network thread (which holds a strong
/// reference while it runs) has ended, so callbacks can use an unretained pointer to `self`.
final class ClientCore: @unchecked Sendable {
    let configuration: MQTTConfiguration
    let logger: Logger
    let mosq: OpaquePointer
    let state = Mutex(CoreState())
    let wake = WakePipe()
    let pressure: ReadPressure
    let finished = Atomic<Bool>(false)
    /// Packets read while paused only to keep the link alive (for tests and diagnosis).
    let keepAliveReads = Atomic<Int>(0)
    /// Messages queued by callers since the network thread last wrote: whether a write may be
    /// more than one packet, and is worth corking (see `pollOnce`).
    let queuedSinceWrite = Atomic<Int>(0)

    let receivedCounter: Counter
    let unroutedCounter: Counter
    let oversizeCounter: Counter
    let reconnectCounter: Counter
    let pauseCounter: Counter
    let connectedGauge: Gauge

    init(configuration: MQTTConfiguration, logger: Logger) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "mqtt.client"] = .string(configuration.clientID)
        self.logger = logger
        let dims = [("client", configuration.clientID)]
        receivedCounter = Counter(label: "mqtt_messages_received_total", dimensions: dims)
        unroutedCounter = Counter(label: "mqtt_messages_unrouted_total", dimensions: dims)
        oversizeCounter = Counter(label: "mqtt_messages_oversize_total", dimensions: dims)
        reconnectCounter = Counter(label: "mqtt_reconnects_total", dimensions: dims)
        pauseCounter = Counter(label: "mqtt_read_pauses_total", dimensions: dims)
        connectedGauge = Gauge(label: "mqtt_connected", dimensions: dims)
        let wake = wake
        let pauses = pauseCounter
        pressure = ReadPressure(onPause: { pauses.increment() }, onResume: { wake.signal() })

        guard let handle = mosquitto_new(configuration.clientID, configuration.cleanStart, nil) else {
            fatalError("mosquitto_new failed: out of memory")
        }
        mosq = handle
        mosquitto_user_data_set(mosq, Unmanaged.passUnretained(self).toOpaque())
        mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5)
        mosquitto_int_option(mosq, MOSQ_OPT_SEND_MAXIMUM, Int32(max(1, min(65_535, configuration.sendMaximum))))
        // The broker sends at most this many unacknowledged QoS 1 messages. libmosquitto
        // acknowledges a message when it reads it, so while reading is paused at most this many
        // sit in the socket; everything else waits in the broker's session.
        mosquitto_int_option(mosq, MOSQ_OPT_RECEIVE_MAXIMUM, Int32(max(1, min(65_535, configuration.receiveMaximum))))
        mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1)
        mosquitto_threaded_set(mosq, true)
        if let username = configuration.username {
            mosquitto_username_pw_set(mosq, username, configuration.password)
        }
        if let tls = configuration.tls {
            let rc = mosquitto_tls_set(mosq, tls.caFile, tls.caPath, tls.certFile, tls.keyFile, nil)
            if rc != MOSQ_ERR_SUCCESS.rawValue {
                logger.error("TLS configuration rejected", metadata: ["error": "\(MQTTError.library(operation: "tls_set", code: rc))"])
            }
            if tls.insecure { mosquitto_tls_insecure_set(mosq, true) }
        }
        if let will = configuration.will {
            will.payload.withUnsafeBytes { bytes in
                _ = mosquitto_will_set_v5(mosq, will.topic, Int32(bytes.count), bytes.baseAddress, will.qos.rawValue, will.retain, nil)
            }
        }
        installCallbacks()
    }

    deinit {
        mosquitto_destroy(mosq)
    }

    var threadFinished: Bool { finished.load(ordering: .acquiring) }

    // MARK: - Lifecycle

    func startThread() {
        let shouldStart = state.withLock { state -> Bool in
            if state.threadStarted || state.stopped { return false }
            state.threadStarted = true
            return true
        }
        guard shouldStart else { return }
        let thread = Thread { [self] in self.runNetworkLoop() }
        thread.name = "mqtt-\(configuration.clientID)"
        thread.start()
    }

    func requestStop(graceful: Bool) {
        let neverStarted = state.withLock { state -> Bool in
            if !state.stopped {
                state.stopped = true
                state.stopGraceful = graceful
            }
            return !state.threadStarted
        }
        wake.signal()
        if neverStarted {
            failEverything()
            finished.store(true, ordering: .releasing)
        }
    }

    var stopRequested: Bool { state.withLock { $0.stopped } }

    /// Asks the network thread to stop reading for good; once it has (never in the middle of a
    /// read), every subscription is finished: its consumer drains what was already read, then
    /// its sequence ends. What the broker has not sent stays in the session, unacknowledged.
    func stopReceiving() {
        let threadRunning = state.withLock { state -> Bool in
            state.receiveStopRequested = true
            return state.threadStarted && !state.stopped
        }
        if threadRunning { wake.signal() } else { applyReceiveStop() }
    }

    /// Network thread (or a stopped client): finishes the subscriptions once reading has stopped.
    func applyReceiveStop() {
        let buffers = state.withLock { state -> [SubscriptionBuffer] in
            guard state.receiveStopRequested, state.receiving else { return [] }
            state.receiving = false
            return state.subscriptions.values.map(\.buffer)
        }
        buffers.forEach { $0.finish() }
    }

    func failEverything() {
        let (connWaiters, pubWaiters, subWaiters, reqWaiters, subs, observers) = state.withLock { state in
            defer {
                state.linkWaiters = [:]; state.publishWaiters = [:]; state.subackWaiters = [:]
                state.requestWaiters = [:]; state.subscriptions = [:]; state.observers = [:]; state.retainSubacks = [:]
            }
            return (state.linkWaiters.values.map(\.continuation), state.publishWaiters, state.subackWaiters,
                    state.requestWaiters, state.subscriptions, state.observers)
        }
        state.withLock { state in
            state.deadlineSweeper?.cancel()
            state.deadlineSweeper = nil
            state.deadlineSweeperWakesAt = nil
        }
        connWaiters.forEach { $0.resume(throwing: MQTTError.shutDown) }
        pubWaiters.values.forEach { $0.abandon(MQTTError.shutDown) }
        subWaiters.values.forEach { $0.resume() }
        reqWaiters.values.forEach { $0.resume(throwing: MQTTError.shutDown) }
        subs.values.forEach { $0.buffer.finish() }
        observers.values.forEach { $0.finish() }
    }

    // MARK: - Connection state

    func addStateObserver() -> AsyncStream<MQTTConnectionState> {
        let (stream, continuation) = AsyncStream<MQTTConnectionState>.makeStream(bufferingPolicy: .bufferingNewest(16))
        let id = UUID()
        let current = state.withLock { state -> MQTTConnectionState in
            state.observers[id] = continuation
            return state.lastState
        }
        continuation.yield(current)
        continuation.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.observers.removeValue(forKey: id) } }
        return stream
    }

    func emit(_ newState: MQTTConnectionState) {
        let observers = state.withLock { state -> [AsyncStream<MQTTConnectionState>.Continuation] in
            if state.lastState == newState { return [] }
            state.lastState = newState
            return Array(state.observers.values)
        }
        observers.forEach { $0.yield(newState) }
    }

    func markConnected(sessionPresent: Bool) {
        let waiters = state.withLock { state in
            state.connected = true
            state.justConnected = true
            state.epoch += 1
            state.sessionPresent = sessionPresent
            state.resubscribing = nil
            return state.takeReachedWaiters()
        }
        connectedGauge.record(1)
        logger.info("connected to broker", metadata: ["broker": "\(configuration.host):\(configuration.port)", "session_present": "\(sessionPresent)"])
        emit(.connected)
        waiters.forEach { $0.resume() }
    }

    func markDisconnected(reason: String) {
        let (wasConnected, subWaiters) = state.withLock { state in
            let was = state.connected
            state.connected = false
            state.retainSubacks = [:]
            state.resubscribing = nil
            defer { state.subackWaiters = [:] }
            return (was, Array(state.subackWaiters.values))
        }
        // SUBACKs of the lost connection will not come; the subscriptions are re-sent on reconnect.
        subWaiters.forEach { $0.resume() }
        if wasConnected {
            connectedGauge.record(0)
            let asked = reason == "requested" || reason == "stopped"
            logger.log(level: asked ? .info : .warning, "disconnected from broker", metadata: ["reason": "\(reason)"])
            emit(.disconnected(reason: reason))
        }
    }

    // MARK: - Publish

    func publish(topic: String, payload: [UInt8], qos: MQTTQoS, retain: Bool, properties: MQTTProperties, timeout: Duration? = nil) async throws {
        if qos == .atMostOnce {
            let rc = withProperties(properties) { props in
                payload.withUnsafeBytes { bytes in
                    mosquitto_publish_v5(mosq, nil, topic, Int32(bytes.count), bytes.baseAddress, qos.rawValue, retain, props)
                }
            }
            queuedSinceWrite.add(1, ordering: .relaxed)
            wake.signal()
            if rc == MOSQ_ERR_NO_CONN.rawValue { throw MQTTError.notConnected }
            if rc != MOSQ_ERR_SUCCESS.rawValue { throw MQTTError.library(operation: "publish to \(topic)", code: rc) }
            return
        }
        try await publishAll([MQTTOutgoingMessage(topic: topic, payload: payload, retain: retain, properties: properties)], timeout: timeout)
    }

    /// Queues every message (QoS 1) with the library in one go and returns when the broker has
    /// acknowledged them all. The library keeps at most Send Maximum of them in flight and sends
    /// the next one as each PUBACK arrives, on the network thread: a bulk publish (a 100,000-camera
    /// import) pays no task, continuation or wake-up per message.
    ///
    /// Cancellable: a caller that gives up (shutdown, a timeout) is released at once instead of
    /// waiting for PUBACKs that cannot come while the broker is away. The messages themselves stay
    /// in the library's queue and are sent on reconnect, as with a timeout.
    ///
    /// `timeout` ends the wait with ``MQTTError/timedOut(operation:seconds:)`` (see
    /// ``sweepPublishDeadlines(generation:)``): one sleeping task per client watches every deadline,
    /// instead of a task group, a second child task and a timer per call.
    func publishAll(_ messages: [MQTTOutgoingMessage], timeout: Duration? = nil) async throws {
        guard !messages.isEmpty else { return }
        let batch = PublishBatch(count: messages.count, firstTopic: messages[0].topic, timeout: timeout)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                guard batch.attach(continuation) else { return }
                // The lock is held across the enqueue so that the PUBACK callback (network thread)
                // cannot look for a waiter before it is registered. With threaded mode on,
                // mosquitto_publish_v5 only queues and never calls back, so this cannot deadlock.
                let failure: (any Error)? = state.withLock { state in
                    if state.stopped { return MQTTError.shutDown }
                    // Cancelled before registering: the handler below may have found nothing to release.
                    if Task.isCancelled { return CancellationError() }
                    for message in messages {
                        var mid: Int32 = 0
                        let rc = withProperties(message.properties) { props in
                            message.payload.withUnsafeBytes { bytes in
                                mosquitto_publish_v5(mosq, &mid, message.topic, Int32(bytes.count), bytes.baseAddress, MQTTQoS.atLeastOnce.rawValue, message.retain, props)
                            }
                        }
                        // NO_CONN for QoS 1 means "queued": it is sent after the next reconnect.
                        if rc != MOSQ_ERR_SUCCESS.rawValue && rc != MOSQ_ERR_NO_CONN.rawValue {
                            // The ones queued before still go out; the caller learns of this one.
                            return MQTTError.library(operation: "publish to \(message.topic)", code: rc)
                        }
                        state.publishWaiters[mid] = batch
                    }
                    if let deadline = batch.deadline { watchDeadline(deadline, in: &state) }
                    return nil
                }
                queuedSinceWrite.add(messages.count, ordering: .relaxed)
                wake.signal()
                if let failure { batch.abandon(failure) }
            }
        } onCancel: {
            state.withLock { state in
                for (mid, waiter) in state.publishWaiters where waiter === batch { state.publishWaiters[mid] = nil }
            }
            batch.abandon(CancellationError())
        }
    }

    func publishAcknowledged(mid: Int32, reasonCode: Int32) {
        let waiter = state.withLock { $0.publishWaiters.removeValue(forKey: mid) }
        waiter?.settle(reasonCode >= 0x80 ? MQTTError.refused(operation: "publish", reasonCode: reasonCode) : nil)
    }

    func rejectOversize(topic: String, size: Int) {
        oversizeCounter.increment()
        logger.warning("refused an oversize message", metadata: [
            "topic": "\(topic)", "bytes": "\(size)", "limit": "\(configuration.maxIncomingPayload)",
        ])
    }
}

/// Builds a libmosquitto property list for one call and frees it afterwards.
func withProperties<T>(_ properties: MQTTProperties, _ body: (OpaquePointer?) -> T) -> T {
    if properties.isEmpty { return body(nil) }
    var list: OpaquePointer? = nil
    defer { mosquitto_property_free_all(&list) }
    if let responseTopic = properties.responseTopic {
        mosquitto_property_add_string(&list, Int32(MQTT_PROP_RESPONSE_TOPIC.rawValue), responseTopic)
    }
    if let correlation = properties.correlationData {
        correlation.withUnsafeBytes { bytes in
            _ = mosquitto_property_add_binary(&list, Int32(MQTT_PROP_CORRELATION_DATA.rawValue), bytes.baseAddress, UInt16(min(bytes.count, 65_535)))
        }
    }
    if let contentType = properties.contentType {
        mosquitto_property_add_string(&list, Int32(MQTT_PROP_CONTENT_TYPE.rawValue), contentType)
    }
    for (name, value) in properties.userProperties {
        mosquitto_property_add_string_pair(&list, Int32(MQTT_PROP_USER_PROPERTY.rawValue), name, value)
    }
    return body(list)
}
