import Foundation

/// MQTT quality of service levels this product uses.
public enum MQTTQoS: Int32, Sendable {
    case atMostOnce = 0
    case atLeastOnce = 1
}

/// MQTT v5 publish properties the services use: request/response and metadata.
public struct MQTTProperties: Sendable, Equatable {
    /// Where the receiver should publish its answer (request/response).
    public var responseTopic: String?
    /// Opaque bytes echoed back in the answer so the requester can match it.
    public var correlationData: [UInt8]?
    /// MIME type of the payload, e.g. `application/json`.
    public var contentType: String?
    /// Free key/value pairs, in order.
    public var userProperties: [(String, String)]

    public init(responseTopic: String? = nil, correlationData: [UInt8]? = nil, contentType: String? = nil, userProperties: [(String, String)] = []) {
        self.responseTopic = responseTopic
        self.correlationData = correlationData
        self.contentType = contentType
        self.userProperties = userProperties
    }

    public static func == (lhs: MQTTProperties, rhs: MQTTProperties) -> Bool {
        lhs.responseTopic == rhs.responseTopic && lhs.correlationData == rhs.correlationData
            && lhs.contentType == rhs.contentType
            && lhs.userProperties.map { "\($0.0)\u{0}\($0.1)" } == rhs.userProperties.map { "\($0.0)\u{0}\($0.1)" }
    }

    var isEmpty: Bool {
        responseTopic == nil && correlationData == nil && contentType == nil && userProperties.isEmpty
    }
}

/// One message received from (or for) the broker. Owns its bytes: nothing points into C memory.
public struct MQTTMessage: Sendable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: MQTTQoS
    public var retain: Bool
    public var properties: MQTTProperties

    public init(topic: String, payload: [UInt8], qos: MQTTQoS = .atLeastOnce, retain: Bool = false, properties: MQTTProperties = .init()) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.properties = properties
    }

    /// The payload as UTF-8 text, or `nil` when it is not valid UTF-8.
    public var text: String? { String(validating: payload, as: UTF8.self) }
}

/// The client's link to the broker, as observers see it.
public enum MQTTConnectionState: Sendable, Equatable {
    case connecting
    case connected
    case disconnected(reason: String)
    case stopped
}

/// One QoS 1 message for ``MQTTClient/publishAll(_:timeout:)``.
public struct MQTTOutgoingMessage: Sendable {
    /// A topic without wildcards.
    public var topic: String
    /// The bytes; an empty payload with `retain` deletes the retained message.
    public var payload: [UInt8]
    /// Whether the broker keeps it as the topic's last known value.
    public var retain: Bool
    /// MQTT v5 properties.
    public var properties: MQTTProperties

    public init(topic: String, payload: [UInt8], retain: Bool = false, properties: MQTTProperties = .init()) {
        self.topic = topic; self.payload = payload; self.retain = retain; self.properties = properties
    }
}
