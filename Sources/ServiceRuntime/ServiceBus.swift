import CCTVContract
import Foundation
import Logging
import MQTTBus

/// One service's broker connection: stable client id `{instance}-{service}`, persistent session,
/// a retained `services/{name}/availability` of `online` (re-published on every reconnect) with
/// `offline` as last will and on clean shutdown, and typed publish helpers.
public final class ServiceBus: Sendable {
    public let service: String
    public let topics: Topics
    public let client: MQTTClient
    let logger: Logger
    private let availabilityTask: Task<Void, Never>

    /// Creates the connection (not started: subscribe first, then ``start()``, so that messages
    /// queued for this persistent session have a subscription to land in).
    public init(service: String, endpoint: BrokerEndpoint, instance: String, topics: Topics, logger: Logger) {
        self.service = service
        self.topics = topics
        self.logger = logger
        let availability = topics.availability(service)
        let client = MQTTClient(
            configuration: endpoint.clientConfiguration(
                clientID: "\(instance)-\(service)",
                will: .init(topic: availability, payload: Array("offline".utf8), qos: .atLeastOnce, retain: true)),
            logger: logger)
        self.client = client
        let states = client.connectionStates()
        availabilityTask = Task {
            for await state in states where state == .connected {
                try? await client.publish(availability, payload: Array("online".utf8), retain: true, timeout: .seconds(10))
            }
        }
    }

    /// The MQTT account this connection acts as: its user name, or its client id on a broker
    /// without accounts. It is the last level of the command topics it publishes.
    public var account: String { client.configuration.username ?? client.configuration.clientID }

    /// Starts connecting (and reconnecting) in the background.
    public func start() { client.start() }

    /// Subscribes to `filter`.
    public func subscribe(_ filter: String) async throws -> MQTTSubscription {
        try await client.subscribe(filter, qos: .atLeastOnce)
    }

    /// Publishes an envelope (QoS 1). `retain` for state topics.
    public func publish<P: Codable & Sendable>(_ topic: String, type: EventType, data: P, retain: Bool = false, id: String = UUID().uuidString, timeout: Duration? = .seconds(30)) async throws {
        let envelope = Envelope(type: type, id: id, source: service, data: data)
        try await client.publish(topic, payload: ContractCodec.encode(envelope), qos: .atLeastOnce, retain: retain, timeout: timeout)
    }

    /// Publishes an empty retained payload: the tombstone that deletes a retained state topic.
    public func publishTombstone(_ topic: String) async throws {
        try await client.publish(topic, payload: [], qos: .atLeastOnce, retain: true, timeout: .seconds(30))
    }

    /// Says `offline` (retained) and disconnects cleanly. While the broker is away it only stops:
    /// nothing could be sent, and waiting for it would hold up a SIGTERM (the broker publishes
    /// the last will `offline` for a connection that dropped).
    public func shutdown() async {
        availabilityTask.cancel()
        if client.isConnected {
            try? await client.publish(topics.availability(service), payload: Array("offline".utf8), retain: true, timeout: .seconds(1))
        }
        await client.shutdown(timeout: .seconds(1))
    }
}
