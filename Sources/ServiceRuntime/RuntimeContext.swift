import CCTVContract
import Foundation
import Logging
import MQTTBus

/// What every service is started with: the shared configuration, where the broker is, topics,
/// data folder, logger. Each service's own options come as its configuration type, not from here.
package struct RuntimeContext: Sendable {
    package var configuration: RuntimeConfiguration
    package var endpoint: BrokerEndpoint
    package var topics: Topics
    package var logger: Logger
    /// This process's health checks; every bus made here registers its broker connection.
    package var health: HealthBoard

    package var dataDir: String { configuration.dataDir }
    package var instance: String { configuration.instance }

    package init(configuration: RuntimeConfiguration, endpoint: BrokerEndpoint, logger: Logger, health: HealthBoard = HealthBoard()) {
        self.configuration = configuration
        self.endpoint = endpoint
        self.topics = Topics(root: configuration.topicRoot)
        self.logger = logger
        self.health = health
    }

    /// A bus connection for `service` (not started); the options as in ``ServiceBus``.
    package func makeBus(service: String, session: String? = nil, will: MQTTConfiguration.Will? = nil, persistentInbox: Bool = true,
                        connectPermit: (@Sendable () -> Bool)? = nil) -> ServiceBus {
        let bus = ServiceBus(service: service, endpoint: endpoint, instance: instance, topics: topics, logger: logger(for: service), session: session,
                             will: will, persistentInbox: persistentInbox, connectPermit: connectPermit)
        let client = bus.client
        health.register("\(session ?? service) broker") { client.isConnected }
        return bus
    }

    /// The gateway's MQTT account: the only one whose commands may name a person as their actor.
    package var gatewayAccount: String { ServiceConnection.outbox.clientID(instance: instance, service: "gateway") }

    /// The actor recorded for a command that arrived from MQTT `account`: the person the gateway
    /// says (a signed-in account or token) when it comes from the gateway's own account (or from
    /// this service's account, when every service shares one), else `mqtt:<account>` — a tool
    /// cannot claim to be someone else.
    package func commandActor(claimed: String?, account: String, ownAccount: String) -> String {
        if account == gatewayAccount || account == ownAccount, let claimed, !claimed.isEmpty { return String(claimed.prefix(200)) }
        return "mqtt:\(account)"
    }

    /// A logger tagged with the service name.
    package func logger(for service: String) -> Logger {
        var logger = logger
        logger[metadataKey: "service"] = .string(service)
        return logger
    }
}
