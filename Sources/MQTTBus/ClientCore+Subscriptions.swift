import CMosquitto
import Foundation

/// Local subscriptions, the broker-side filters behind them, and routing what arrives.
///
/// Retained messages: the first SUBSCRIBE of a filter in this process's lifetime asks for them
/// ("send always"), so a restarted service sees the whole retained state even when the broker
/// resumed its persistent session (where "new subscriptions only" would send nothing). Once a
/// SUBACK confirmed that, reconnects ask "new subscriptions only": a resumed session sends
/// nothing twice, a lost session (broker restarted without its store) sends everything again.
extension ClientCore {
    /// Registers a local subscription and, when connected, subscribes and waits for the SUBACK
    /// (offline it returns at once: subscriptions are sent when the link comes up).
    func openSubscription(filters: [String], qos: MQTTQoS) async -> (UInt64, SubscriptionBuffer) {
        let buffer = SubscriptionBuffer(highWatermark: configuration.subscriptionHighWatermark, pressure: pressure)
        let id = state.withLock { state -> UInt64 in
            state.nextSubscriptionID += 1
            state.subscriptions[state.nextSubscriptionID] = SubscriptionEntry(filters: filters, qos: qos, buffer: buffer)
            for filter in filters {
                state.filters[filter, default: BrokerFilter(users: 0, qos: qos, retainedAsked: false)].users += 1
                state.unsubscribeOnConnect.remove(filter)
            }
            if !state.receiving { buffer.finish() }
            return state.nextSubscriptionID
        }
        // A new local subscription wants the retained messages even when the filter is already
        // subscribed (other local subscriptions of it may then see them twice: at-least-once).
        await sendSubscribe(filters: filters, qos: qos, retainHandling: Int32(MQTT_SUB_OPT_SEND_RETAIN_ALWAYS.rawValue))
        return (id, buffer)
    }

    /// Ends a local subscription: its buffer is dropped (its scope is over) and a filter no other
    /// local subscription uses is unsubscribed, now or on the next connect. Not when the client
    /// is stopping: a persistent session must keep its subscriptions for the next run (an
    /// UNSUBSCRIBE on the way out made the broker drop, not queue, a REST command sent to a
    /// stopped registry).
    func closeSubscription(id: UInt64) {
        let (entry, unsubscribeNow) = state.withLock { state -> (SubscriptionEntry?, [String]) in
            guard let entry = state.subscriptions.removeValue(forKey: id) else { return (nil, []) }
            let stopping = state.stopped || state.receiveStopRequested
            var unused: [String] = []
            for filter in entry.filters {
                guard var known = state.filters[filter] else { continue }
                known.users -= 1
                if known.users > 0 { state.filters[filter] = known; continue }
                state.filters[filter] = nil
                if state.replyTopics.contains(filter) || stopping { continue }
                if state.connected { unused.append(filter) } else { state.unsubscribeOnConnect.insert(filter) }
            }
            return (entry, unused)
        }
        entry?.buffer.abandon()
        if !unsubscribeNow.isEmpty { sendUnsubscribe(unsubscribeNow) }
    }

    /// Sends SUBSCRIBE now when connected and waits for the SUBACK; returns at once offline.
    func sendSubscribe(filters: [String], qos: MQTTQoS, retainHandling: Int32) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let registered: Bool = state.withLock { state in
                guard state.connected, !state.stopped else { return false }
                var mid: Int32 = 0
                let rc = withCStrings(filters) { pointers in
                    mosquitto_subscribe_multiple(mosq, &mid, Int32(filters.count), pointers, qos.rawValue, retainHandling, nil)
                }
                guard rc == MOSQ_ERR_SUCCESS.rawValue else {
                    logger.warning("subscribe failed", metadata: ["filters": "\(filters)", "error": "\(MQTTError.library(operation: "subscribe", code: rc))"])
                    return false
                }
                state.subackWaiters[mid] = continuation
                if retainHandling == Int32(MQTT_SUB_OPT_SEND_RETAIN_ALWAYS.rawValue) { state.retainSubacks[mid] = filters }
                return true
            }
            if registered { wake.signal() } else { continuation.resume() }
        }
    }

    func sendUnsubscribe(_ filters: [String]) {
        let rc = withCStrings(filters) { pointers in
            mosquitto_unsubscribe_multiple(mosq, nil, Int32(filters.count), pointers, nil)
        }
        if rc != MOSQ_ERR_SUCCESS.rawValue {
            logger.debug("unsubscribe not sent", metadata: ["filters": "\(filters)", "error": "\(MQTTError.library(operation: "unsubscribe", code: rc))"])
        }
        wake.signal()
    }

    func subscribeAcknowledged(mid: Int32, grantedQoS: [Int32]) {
        let refused = grantedQoS.first(where: { $0 >= 0x80 })
        let (waiter, subscribed) = state.withLock { state -> (CheckedContinuation<Void, Never>?, [CheckedContinuation<Void, any Error>]) in
            if let filters = state.retainSubacks.removeValue(forKey: mid), refused == nil {
                for filter in filters { state.filters[filter]?.retainedAsked = true }
            }
            state.resubscribing?.remove(mid)
            return (state.subackWaiters.removeValue(forKey: mid), state.takeReachedWaiters())
        }
        if let refused {
            logger.error("broker refused a subscription", metadata: ["reason": "\(MQTTError.refused(operation: "subscribe", reasonCode: refused))"])
        }
        waiter?.resume()
        subscribed.forEach { $0.resume() }
    }


    func ensureReplySubscription(_ topic: String) async throws {
        let isNew = state.withLock { $0.replyTopics.insert(topic).inserted }
        if isNew { await sendSubscribe(filters: [topic], qos: .atLeastOnce, retainHandling: Int32(MQTT_SUB_OPT_SEND_RETAIN_NEW.rawValue)) }
    }

    /// Network thread, after every CONNACK: re-sends every filter (see the type's comment for
    /// which retained messages each asks for) and the unsubscribes that waited for a link.
    func resubscribeAll() {
        let (filters, unsubscribe) = state.withLock { state -> ([(String, BrokerFilter)], [String]) in
            var result = state.filters.sorted { $0.key < $1.key }
            for topic in state.replyTopics.sorted() where state.filters[topic] == nil {
                result.append((topic, BrokerFilter(users: 1, qos: .atLeastOnce, retainedAsked: true)))
            }
            defer { state.unsubscribeOnConnect = [] }
            return (result, Array(state.unsubscribeOnConnect))
        }
        if !unsubscribe.isEmpty { sendUnsubscribe(unsubscribe) }
        let ready = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.resubscribing = []
            for (filter, known) in filters {
                let retainHandling = known.retainedAsked ? MQTT_SUB_OPT_SEND_RETAIN_NEW : MQTT_SUB_OPT_SEND_RETAIN_ALWAYS
                var mid: Int32 = 0
                let rc = mosquitto_subscribe_v5(mosq, &mid, filter, known.qos.rawValue, Int32(retainHandling.rawValue), nil)
                if rc != MOSQ_ERR_SUCCESS.rawValue {
                    logger.warning("re-subscribe failed", metadata: ["filter": "\(filter)", "error": "\(MQTTError.library(operation: "subscribe", code: rc))"])
                    continue
                }
                state.resubscribing?.insert(mid)
                if !known.retainedAsked { state.retainSubacks[mid] = [filter] }
            }
            return state.takeReachedWaiters()
        }
        ready.forEach { $0.resume() }
    }

    /// Network thread: routes one message to a request waiting for it, or to every local
    /// subscription it matches. Never drops one a subscription wants: a full buffer pauses reading.
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
            state.subscriptions.values.filter { entry in entry.filters.contains { TopicFilter.matches(message.topic, filter: $0) } }.map(\.buffer)
        }
        var wanted = false
        for target in targets where target.push(message) { wanted = true }
        // A late reply, or a message for a subscription whose scope just ended: nobody wants it.
        if !wanted { unroutedCounter.increment() }
    }

    /// Whether some full subscription already holds twice its high watermark: then not even the
    /// keep-alive trickle reads (a reconnect is harmless, see the network loop).
    var subscriptionsAtCapacity: Bool {
        let buffers = state.withLock { $0.subscriptions.values.map(\.buffer) }
        return buffers.contains { $0.depth >= 2 * $0.highWatermark }
    }

    /// Messages read but not yet taken by their consumers, over all subscriptions.
    var bufferedMessages: Int {
        let buffers = state.withLock { $0.subscriptions.values.map(\.buffer) }
        return buffers.reduce(0) { $0 + $1.depth }
    }
}

/// Calls `body` with a C array of C strings for `strings` (valid only during the call).
func withCStrings<T>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> T) -> T {
    let duplicated = strings.map { strdup($0) }
    defer { duplicated.forEach { free($0) } }
    return duplicated.withUnsafeBufferPointer { body($0.baseAddress!) }
}
