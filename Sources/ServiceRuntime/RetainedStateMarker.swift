import CCTVContract
import Foundation
import MQTTBus

/// The retained marker `services/{service}/retained` that tells a service whether the broker
/// still holds everything it published retained (camera definitions, camera statuses).
///
/// mosquitto acknowledges a message before it is on disk: after a crash it comes back from its
/// last autosave, often with the persistent sessions but without the newest retained messages
/// (a camera created 2 s before the crash was never checked again). A session-present flag
/// cannot tell; the marker can. The owner renews the marker (a fresh random token) after its
/// retained messages were acknowledged on one unbroken connection, and after every reconnect
/// reads it back: another token, or none, means the broker lost something, and the owner
/// publishes its whole retained state again. The broker saves its state in one piece, so a
/// saved marker implies that everything acknowledged before it was saved too.
package struct RetainedStateMarker: Sendable {
    /// `services/{service}/retained`.
    package let topic: String

    package init(service: String, topics: Topics) {
        topic = topics.retainedMarker(service)
    }

    /// The token the broker holds now; `nil` when it holds none.
    func current(on client: MQTTClient) async throws -> String? {
        try await client.retainedMessage(on: topic).flatMap(\.text)
    }

    /// The token the broker holds now, read on `bus`'s publishing connection.
    package func current(on bus: ServiceBus) async throws -> String? { try await current(on: bus.client) }

    /// Publishes a fresh token on `bus`'s publishing connection (see below).
    package func renew(on bus: ServiceBus) async throws -> String { try await renew(on: bus.client) }

    /// Publishes a fresh token (retained, QoS 1); returns it once the broker acknowledged it.
    func renew(on client: MQTTClient) async throws -> String {
        let token = UUID().uuidString
        try await client.publish(topic, payload: Array(token.utf8), qos: .atLeastOnce, retain: true, timeout: .seconds(30))
        return token
    }
}
