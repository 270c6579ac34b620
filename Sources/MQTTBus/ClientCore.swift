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

/// One local subscription: its filter and the stream it feeds.
struct SubscriptionEntry {
    let filter: String
    let qos: MQTTQoS
    let continuation: AsyncStream<MQTTMessage>.Continuation
}

/// A caller waiting for the PUBACK of one QoS 1 message; `ticket` tells a cancellation which
/// waiter is its own (message ids are reused once acknowledged).
struct PublishWaiter {
    let ticket: PublishTicket
    let continuation: CheckedContinuation<Void, any Error>
}

/// The message id one `publish` call was given, for its cancellation handler.
final class PublishTicket: Sendable {
    let mid = Mutex<Int32?>(nil)
}

/// Everything the network thread and the callers share, behind one `Mutex`.
struct CoreState {
    var connected = false
    var stopped = false
    var stopGraceful = false
    var threadStarted = false
    var justConnected = false
    var connectionWaiters: [UUID: CheckedContinuation<Void, any Error>] = [:]
    var publishWaiters: [Int32: PublishWaiter] = [:]
    var subackWaiters: [Int32: CheckedContinuation<Void, Never>] = [:]
    var subscriptions: [UInt64: SubscriptionEntry] = [:]
    var nextSubscriptionID: UInt64 = 0
    var replyTopics: Set<String> = []
    var requestWaiters: [[UInt8]: CheckedContinuation<MQTTMessage, any Error>] = [:]
    var observers: [UUID: AsyncStream<MQTTConnectionState>.Continuation] = [:]
    var lastState: MQTTConnectionState = .connecting
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
    private let finished = Atomic<Bool>(false)

    private let receivedCounter: Counter
    private let droppedCounter: Counter
    private let oversizeCounter: Counter
    private let reconnectCounter: Counter
    private let connectedGauge: Gauge

    init(configuration: MQTTConfiguration, logger: Logger) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "mqtt.client"] = .string(configuration.clientID)
        self.logger = logger
        let dims = [("client", configuration.clientID)]
        receivedCounter = Counter(label: "mqtt_messages_received_total", dimensions: dims)
        droppedCounter = Counter(label: "mqtt_messages_dropped_total", dimensions: dims)
        oversizeCounter = Counter(label: "mqtt_messages_oversize_total", dimensions: dims)
        reconnectCounter = Counter(label: "mqtt_reconnects_total", dimensions: dims)
        connectedGauge = Gauge(label: "mqtt_connected", dimensions: dims)

        guard let handle = mosquitto_new(configuration.clientID, configuration.cleanStart, nil) else {
            fatalError("mosquitto_new failed: out of memory")
        }
        mosq = handle
        mosquitto_user_data_set(mosq, Unmanaged.passUnretained(self).toOpaque())
        mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5)
        mosquitto_int_option(mosq, MOSQ_OPT_SEND_MAXIMUM, Int32(max(1, min(65_535, configuration.sendMaximum))))
        mosquitto_int_option(mosq, MOSQ_OPT_RECEIVE_MAXIMUM, 65_535)
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
        if neverStarted {
            failEverything()
            finished.store(true, ordering: .releasing)
        }
    }

    private var stopRequested: Bool { state.withLock { $0.stopped } }

    /// The network thread: connect, loop, reconnect with back-off, until stopped.
    private func runNetworkLoop() {
        var delay = configuration.reconnectDelay.initial
        var socketOpen = false
        var attempts = 0
        while !stopRequested {
            if !socketOpen {
                emit(.connecting)
                let rc = connectOnce()
                if rc != MOSQ_ERR_SUCCESS.rawValue {
                    attempts += 1
                    let level: Logger.Level = attempts == 1 || attempts % 20 == 0 ? .warning : .debug
                    logger.log(level: level, "broker not reachable, retrying", metadata: [
                        "broker": "\(configuration.host):\(configuration.port)",
                        "error": "\(MQTTError.library(operation: "connect", code: rc))",
                        "attempt": "\(attempts)", "retry_in_s": "\(String(format: "%.1f", delay))",
                    ])
                    emit(.disconnected(reason: MQTTError.library(operation: "connect", code: rc).description))
                    sleepInterruptibly(seconds: jittered(delay))
                    delay = min(delay * 2, configuration.reconnectDelay.maximum)
                    continue
                }
                socketOpen = true
            }
            let rc = mosquitto_loop(mosq, 250, 1)
            if state.withLock({ state in defer { state.justConnected = false }; return state.justConnected }) {
                delay = configuration.reconnectDelay.initial
                attempts = 0
                resubscribeAll()
            }
            if rc != MOSQ_ERR_SUCCESS.rawValue {
                socketOpen = false
                markDisconnected(reason: MQTTError.library(operation: "network loop", code: rc).description)
                if stopRequested { break }
                reconnectCounter.increment()
                sleepInterruptibly(seconds: jittered(delay))
                delay = min(delay * 2, configuration.reconnectDelay.maximum)
            }
        }
        let graceful = state.withLock { $0.stopGraceful }
        if socketOpen && graceful {
            // DISCONNECT (reason 0) tells the broker not to publish the will; loop to flush it.
            mosquitto_disconnect_v5(mosq, 0, nil)
            for _ in 0..<20 where mosquitto_loop(mosq, 50, 1) == MOSQ_ERR_SUCCESS.rawValue {}
        }
        if socketOpen && !graceful {
            // Drop the TCP link without DISCONNECT: the broker publishes the last will, exactly
            // as if the process had died. The descriptor itself is closed by mosquitto_destroy.
            let fd = mosquitto_socket(mosq)
            if fd >= 0 { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
        }
        markDisconnected(reason: "stopped")
        emit(.stopped)
        failEverything()
        finished.store(true, ordering: .releasing)
    }

    private func connectOnce() -> Int32 {
        var props: OpaquePointer? = nil
        defer { mosquitto_property_free_all(&props) }
        if !configuration.cleanStart {
            mosquitto_property_add_int32(&props, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue), configuration.sessionExpiry)
        }
        return mosquitto_connect_bind_v5(mosq, configuration.host, Int32(configuration.port), Int32(max(5, configuration.keepAlive)), nil, props)
    }

    private func jittered(_ seconds: Double) -> Double {
        seconds * Double.random(in: 0.75...1.25)
    }

    private func sleepInterruptibly(seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline && !stopRequested {
            Thread.sleep(forTimeInterval: min(0.05, max(0, deadline.timeIntervalSinceNow)))
        }
    }

    private func failEverything() {
        let (connWaiters, pubWaiters, subWaiters, reqWaiters, subs, observers) = state.withLock { state in
            defer {
                state.connectionWaiters = [:]; state.publishWaiters = [:]; state.subackWaiters = [:]
                state.requestWaiters = [:]; state.subscriptions = [:]; state.observers = [:]
            }
            return (state.connectionWaiters, state.publishWaiters, state.subackWaiters, state.requestWaiters, state.subscriptions, state.observers)
        }
        connWaiters.values.forEach { $0.resume(throwing: MQTTError.shutDown) }
        pubWaiters.values.forEach { $0.continuation.resume(throwing: MQTTError.shutDown) }
        subWaiters.values.forEach { $0.resume() }
        reqWaiters.values.forEach { $0.resume(throwing: MQTTError.shutDown) }
        subs.values.forEach { $0.continuation.finish() }
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

    private func emit(_ newState: MQTTConnectionState) {
        let observers = state.withLock { state -> [AsyncStream<MQTTConnectionState>.Continuation] in
            if state.lastState == newState { return [] }
            state.lastState = newState
            return Array(state.observers.values)
        }
        observers.forEach { $0.yield(newState) }
    }

    func markConnected() {
        let waiters = state.withLock { state in
            state.connected = true
            state.justConnected = true
            defer { state.connectionWaiters = [:] }
            return Array(state.connectionWaiters.values)
        }
        connectedGauge.record(1)
        logger.info("connected to broker", metadata: ["broker": "\(configuration.host):\(configuration.port)"])
        emit(.connected)
        waiters.forEach { $0.resume() }
    }

    func markDisconnected(reason: String) {
        let (wasConnected, subWaiters) = state.withLock { state in
            let was = state.connected
            state.connected = false
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

    func publish(topic: String, payload: [UInt8], qos: MQTTQoS, retain: Bool, properties: MQTTProperties) async throws {
        if qos == .atMostOnce {
            let rc = withProperties(properties) { props in
                payload.withUnsafeBytes { bytes in
                    mosquitto_publish_v5(mosq, nil, topic, Int32(bytes.count), bytes.baseAddress, qos.rawValue, retain, props)
                }
            }
            if rc == MOSQ_ERR_NO_CONN.rawValue { throw MQTTError.notConnected }
            if rc != MOSQ_ERR_SUCCESS.rawValue { throw MQTTError.library(operation: "publish to \(topic)", code: rc) }
            return
        }
        // Cancellable: a caller that gives up (shutdown, a timeout) is released at once instead of
        // waiting for a PUBACK that cannot come while the broker is away. The message itself stays
        // in the library's queue and is sent on reconnect, as with a timeout.
        let ticket = PublishTicket()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // The lock is held across the enqueue so that the PUBACK callback (network thread)
                // cannot look for the waiter before it is registered. With threaded mode on,
                // mosquitto_publish_v5 only queues and never calls back, so this cannot deadlock.
                let failure: (any Error)? = state.withLock { state in
                    if state.stopped { return MQTTError.shutDown }
                    // Cancelled before registering: the handler below found nothing to release.
                    if Task.isCancelled { return CancellationError() }
                    var mid: Int32 = 0
                    let rc = withProperties(properties) { props in
                        payload.withUnsafeBytes { bytes in
                            mosquitto_publish_v5(mosq, &mid, topic, Int32(bytes.count), bytes.baseAddress, qos.rawValue, retain, props)
                        }
                    }
                    // NO_CONN for QoS 1 means "queued": it is sent after the next reconnect.
                    if rc != MOSQ_ERR_SUCCESS.rawValue && rc != MOSQ_ERR_NO_CONN.rawValue {
                        return MQTTError.library(operation: "publish to \(topic)", code: rc)
                    }
                    state.publishWaiters[mid] = PublishWaiter(ticket: ticket, continuation: continuation)
                    ticket.mid.withLock { $0 = mid }
                    return nil
                }
                if let failure { continuation.resume(throwing: failure) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> PublishWaiter? in
                guard let mid = ticket.mid.withLock({ $0 }), state.publishWaiters[mid]?.ticket === ticket else { return nil }
                return state.publishWaiters.removeValue(forKey: mid)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    func publishAcknowledged(mid: Int32, reasonCode: Int32) {
        let waiter = state.withLock { $0.publishWaiters.removeValue(forKey: mid) }?.continuation
        if reasonCode >= 0x80 {
            waiter?.resume(throwing: MQTTError.refused(operation: "publish", reasonCode: reasonCode))
        } else {
            waiter?.resume()
        }
    }

    // MARK: - Subscribe

    func addSubscription(filter: String, qos: MQTTQoS, continuation: AsyncStream<MQTTMessage>.Continuation) -> UInt64 {
        state.withLock { state in
            state.nextSubscriptionID += 1
            state.subscriptions[state.nextSubscriptionID] = SubscriptionEntry(filter: filter, qos: qos, continuation: continuation)
            return state.nextSubscriptionID
        }
    }

    func removeSubscription(id: UInt64) {
        let (filter, stillUsed, connected) = state.withLock { state -> (String?, Bool, Bool) in
            guard let entry = state.subscriptions.removeValue(forKey: id) else { return (nil, true, false) }
            let used = state.subscriptions.values.contains { $0.filter == entry.filter } || state.replyTopics.contains(entry.filter)
            return (entry.filter, used, state.connected)
        }
        // A persistent session keeps its subscriptions on the broker when the local consumer ends:
        // a service's subscriptions end on every graceful shutdown, just before it disconnects,
        // and an UNSUBSCRIBE then made the broker drop (not queue) whatever was published while
        // the service was away — a REST command sent to a stopped registry was lost (seen in the
        // broker's log: "Received UNSUBSCRIBE … registry/commands", then PUBACK rc16, no subscribers).
        if let filter, !stillUsed, connected, configuration.cleanStart {
            mosquitto_unsubscribe_v5(mosq, nil, filter, nil)
        }
    }

    /// Sends SUBSCRIBE now when connected and waits for the SUBACK (bounded); offline it returns
    /// at once, since every subscription is sent again when the link comes up.
    func sendSubscribe(filter: String, qos: MQTTQoS, retainHandling: Int32 = 0) async throws {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let registered: Bool = state.withLock { state in
                guard state.connected, !state.stopped else { return false }
                var mid: Int32 = 0
                let rc = mosquitto_subscribe_v5(mosq, &mid, filter, qos.rawValue, retainHandling, nil)
                guard rc == MOSQ_ERR_SUCCESS.rawValue else { return false }
                state.subackWaiters[mid] = continuation
                return true
            }
            if !registered { continuation.resume() }
        }
    }

    func subscribeAcknowledged(mid: Int32, grantedQoS: [Int32]) {
        let waiter = state.withLock { $0.subackWaiters.removeValue(forKey: mid) }
        if let refused = grantedQoS.first(where: { $0 >= 0x80 }) {
            logger.error("broker refused a subscription", metadata: ["reason": "\(MQTTError.refused(operation: "subscribe", reasonCode: refused))"])
        }
        waiter?.resume()
    }

    func ensureReplySubscription(_ topic: String) async throws {
        let isNew = state.withLock { $0.replyTopics.insert(topic).inserted }
        if isNew { try await sendSubscribe(filter: topic, qos: .atLeastOnce) }
    }

    private func resubscribeAll() {
        let filters = state.withLock { state -> [(String, MQTTQoS)] in
            var seen = Set<String>()
            var result: [(String, MQTTQoS)] = []
            for entry in state.subscriptions.values.sorted(by: { $0.filter < $1.filter }) where seen.insert(entry.filter).inserted {
                result.append((entry.filter, entry.qos))
            }
            for topic in state.replyTopics.sorted() where seen.insert(topic).inserted {
                result.append((topic, .atLeastOnce))
            }
            return result
        }
        for (filter, qos) in filters {
            // Retained messages are sent again only if the broker lost the session: with a
            // resumed session the subscription already exists and nothing is duplicated.
            let rc = mosquitto_subscribe_v5(mosq, nil, filter, qos.rawValue, Int32(MQTT_SUB_OPT_SEND_RETAIN_NEW.rawValue), nil)
            if rc != MOSQ_ERR_SUCCESS.rawValue {
                logger.warning("re-subscribe failed", metadata: ["filter": "\(filter)", "error": "\(MQTTError.library(operation: "subscribe", code: rc))"])
            }
        }
    }

    // MARK: - Incoming

    func deliver(_ message: MQTTMessage) {
        receivedCounter.increment()
        if let correlation = message.properties.correlationData {
            let waiter = state.withLock { state -> CheckedContinuation<MQTTMessage, any Error>? in
                guard state.replyTopics.contains(message.topic) else { return nil }
                return state.requestWaiters.removeValue(forKey: correlation)
            }
            if let waiter { waiter.resume(returning: message); return }
        }
        let targets = state.withLock { state in
            state.subscriptions.values.filter { TopicFilter.matches(message.topic, filter: $0.filter) }.map(\.continuation)
        }
        for target in targets {
            if case .dropped = target.yield(message) {
                droppedCounter.increment()
            }
        }
    }

    func rejectOversize(topic: String, size: Int) {
        oversizeCounter.increment()
        logger.warning("dropped an oversize message", metadata: [
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
