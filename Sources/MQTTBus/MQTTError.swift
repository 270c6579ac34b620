import CMosquitto

/// Errors from the MQTT client, each saying what to fix.
public enum MQTTError: Error, Sendable, CustomStringConvertible {
    /// A libmosquitto call failed; `code` is its `MOSQ_ERR_*` value.
    case library(operation: String, code: Int32)
    /// The broker refused an operation (MQTT reason code ≥ 128).
    case refused(operation: String, reasonCode: Int32)
    /// The client was shut down before the operation finished.
    case shutDown
    /// Not connected and the operation cannot be queued (QoS 0).
    case notConnected
    /// The operation did not finish within its deadline.
    case timedOut(operation: String, seconds: Double)
    /// A topic or filter is not valid MQTT.
    case invalidTopic(String)

    public var description: String {
        switch self {
        case let .library(operation, code):
            let text = String(cString: mosquitto_strerror(code))
            return "\(operation) failed: \(text) (MOSQ_ERR \(code))"
        case let .refused(operation, reasonCode):
            let text = String(cString: mosquitto_reason_string(reasonCode))
            return "broker refused \(operation): \(text) (reason \(reasonCode))"
        case .shutDown: return "the MQTT client has been shut down"
        case .notConnected: return "not connected to the broker"
        case let .timedOut(operation, seconds): return "\(operation) timed out after \(seconds) s"
        case let .invalidTopic(topic): return "invalid MQTT topic or filter: \(topic.debugDescription)"
        }
    }
}
