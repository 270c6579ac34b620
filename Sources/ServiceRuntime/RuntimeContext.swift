import CCTVContract
import Foundation
import Logging

/// What every service is started with: the shared configuration, where the broker is, topics,
/// data folder, logger. Each service's own options come as its configuration type, not from here.
public struct RuntimeContext: Sendable {
    public var configuration: RuntimeConfiguration
    public var endpoint: BrokerEndpoint
    public var topics: Topics
    public var logger: Logger
    /// This process's health checks; every bus made here registers its broker connection.
    public var health: HealthBoard

    public var dataDir: String { configuration.dataDir }
    public var instance: String { configuration.instance }

    public init(configuration: RuntimeConfiguration, endpoint: BrokerEndpoint, logger: Logger, health: HealthBoard = HealthBoard()) {
        self.configuration = configuration
        self.endpoint = endpoint
        self.topics = Topics(root: configuration.topicRoot)
        self.logger = logger
        self.health = health
    }

    /// A bus connection for `service` (not started).
    public func makeBus(service: String) -> ServiceBus {
        let bus = ServiceBus(service: service, endpoint: endpoint, instance: instance, topics: topics, logger: logger(for: service))
        let client = bus.client
        health.register("\(service) broker") { client.isConnected }
        return bus
    }

    /// A logger tagged with the service name.
    public func logger(for service: String) -> Logger {
        var logger = logger
        logger[metadataKey: "service"] = .string(service)
        return logger
    }
}
