import CMosquitto
import Foundation

/// The libmosquitto callbacks. They run on the network thread, inside the library's callback
/// lock: they only copy what they are given (C memory is freed when they return) and hand it
/// to Swift. Nothing here blocks, calls back into the library's lifecycle, or allocates C state.
extension ClientCore {
    func installCallbacks() {
        mosquitto_connect_v5_callback_set(mosq) { _, userData, reasonCode, flags, _ in
            guard let core = ClientCore.from(userData) else { return }
            if reasonCode == 0 {
                // CONNACK flags bit 0: the broker resumed a stored session.
                core.markConnected(sessionPresent: flags & 1 != 0)
            } else {
                core.logger.error("broker refused the connection", metadata: [
                    "reason": "\(MQTTError.refused(operation: "connect", reasonCode: reasonCode))",
                ])
            }
        }
        mosquitto_disconnect_v5_callback_set(mosq) { _, userData, reasonCode, _ in
            guard let core = ClientCore.from(userData) else { return }
            let reason = reasonCode == 0 ? "requested" : String(cString: mosquitto_strerror(reasonCode))
            core.markDisconnected(reason: reason)
        }
        mosquitto_publish_v5_callback_set(mosq) { _, userData, mid, reasonCode, _ in
            ClientCore.from(userData)?.publishAcknowledged(mid: mid, reasonCode: reasonCode)
        }
        mosquitto_subscribe_v5_callback_set(mosq) { _, userData, mid, count, granted, _ in
            guard let core = ClientCore.from(userData) else { return }
            let codes = granted.map { Array(UnsafeBufferPointer(start: $0, count: Int(count))) } ?? []
            core.subscribeAcknowledged(mid: mid, grantedQoS: codes)
        }
        mosquitto_message_v5_callback_set(mosq) { _, userData, message, properties in
            guard let core = ClientCore.from(userData), let message else { return }
            let raw = message.pointee
            let topic = raw.topic.map { String(cString: $0) } ?? ""
            let length = Int(max(0, raw.payloadlen))
            if length > core.configuration.maxIncomingPayload {
                core.rejectOversize(topic: topic, size: length)
                return
            }
            let payload: [UInt8] = raw.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: length)) } ?? []
            let copied = MQTTMessage(
                topic: topic,
                payload: payload,
                qos: raw.qos >= 1 ? .atLeastOnce : .atMostOnce,
                retain: raw.retain,
                properties: ClientCore.copyProperties(properties))
            core.deliver(copied)
        }
    }

    static func from(_ userData: UnsafeMutableRawPointer?) -> ClientCore? {
        guard let userData else { return nil }
        return Unmanaged<ClientCore>.fromOpaque(userData).takeUnretainedValue()
    }

    /// Copies the v5 properties we use out of the library's list, freeing what it allocates.
    static func copyProperties(_ list: OpaquePointer?) -> MQTTProperties {
        guard let list else { return MQTTProperties() }
        var result = MQTTProperties()
        var text: UnsafeMutablePointer<CChar>? = nil
        if mosquitto_property_read_string(list, Int32(MQTT_PROP_RESPONSE_TOPIC.rawValue), &text, false) != nil, let value = text {
            result.responseTopic = String(cString: value)
            free(value)
        }
        text = nil
        if mosquitto_property_read_string(list, Int32(MQTT_PROP_CONTENT_TYPE.rawValue), &text, false) != nil, let value = text {
            result.contentType = String(cString: value)
            free(value)
        }
        var binary: UnsafeMutableRawPointer? = nil
        var length: UInt16 = 0
        if mosquitto_property_read_binary(list, Int32(MQTT_PROP_CORRELATION_DATA.rawValue), &binary, &length, false) != nil {
            result.correlationData = binary.map { Array(UnsafeRawBufferPointer(start: $0, count: Int(length))) } ?? []
            free(binary)
        }
        var name: UnsafeMutablePointer<CChar>? = nil
        var value: UnsafeMutablePointer<CChar>? = nil
        var cursor = mosquitto_property_read_string_pair(list, Int32(MQTT_PROP_USER_PROPERTY.rawValue), &name, &value, false)
        while cursor != nil {
            if let name, let value { result.userProperties.append((String(cString: name), String(cString: value))) }
            free(name); free(value)
            name = nil; value = nil
            cursor = mosquitto_property_read_string_pair(cursor, Int32(MQTT_PROP_USER_PROPERTY.rawValue), &name, &value, true)
        }
        return result
    }
}
