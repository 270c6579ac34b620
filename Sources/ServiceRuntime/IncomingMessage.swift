import CCTVContract
import Logging
import Metrics
import MQTTBus

/// Decodes an untrusted MQTT payload into an envelope; a bad one is logged (once per topic
/// family and reason, then at debug), counted in `cctvout_rejected_messages_total`, and dropped.
package struct MessageDecoder: Sendable {
    let service: String
    let logger: Logger

    package init(service: String, logger: Logger) {
        self.service = service
        self.logger = logger
    }

    /// The envelope, or `nil` when the payload was refused (already logged and counted).
    package func decode<P: Codable & Sendable>(_ message: MQTTMessage, as type: P.Type, expecting types: Set<EventType>) -> Envelope<P>? {
        try? envelope(message, as: type, expecting: types).get()
    }

    /// The envelope, or why it was refused (already logged and counted): for a caller that answers
    /// the refusal.
    package func envelope<P: Codable & Sendable>(_ message: MQTTMessage, as type: P.Type, expecting types: Set<EventType>) -> Result<Envelope<P>, PayloadError> {
        do {
            return .success(try ContractCodec.decode(message.payload, as: type, expecting: types))
        } catch {
            Counter(label: "cctvout_rejected_messages_total", dimensions: [("service", service), ("reason", error.code)]).increment()
            logger.warning("rejected a message", metadata: [
                "topic": "\(message.topic.prefix(200))", "reason": "\(error.code)", "detail": "\(error.description.prefix(300))",
            ])
            return .failure(error)
        }
    }
}
