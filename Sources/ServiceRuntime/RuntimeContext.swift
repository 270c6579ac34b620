import CCTVContract
import Foundation
import Logging

/// What every service is started with: settings, where the broker is, topics, data folder, logger.
public struct RuntimeContext: Sendable {
    public var settings: Settings
    public var endpoint: BrokerEndpoint
    public var topics: Topics
    public var dataDir: String
    public var instance: String
    public var logger: Logger
    /// This process's health checks; every bus made here registers its broker connection.
    public var health: HealthBoard

    public init(settings: Settings, endpoint: BrokerEndpoint, logger: Logger, health: HealthBoard = HealthBoard()) {
        self.settings = settings
        self.endpoint = endpoint
        self.topics = Topics(root: settings["topic-root"])
        self.dataDir = settings["data-dir"]
        self.instance = settings["instance"]
        self.logger = logger
        self.health = health
    }

    /// A bus connection for `service` (not started).
    public func makeBus(service: String) -> ServiceBus {
        var logger = logger
        logger[metadataKey: "service"] = .string(service)
        let bus = ServiceBus(service: service, endpoint: endpoint, instance: instance, topics: topics, logger: logger)
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
